import { PointsweepError } from '@pointsweep/contracts';

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Runs the tasks in parallel and answers when all settle or the budget runs out, whichever is first.
 * At the budget the shared signal aborts what is still running, and those tasks count as failed;
 * a task that ignores the signal cannot delay the answer.
 */
export async function settleWithinBudget<K, T>(
  tasks: readonly (readonly [K, (signal: AbortSignal) => Promise<T>])[],
  budgetMs: number,
): Promise<Map<K, Settled<T>>> {
  const controller = new AbortController();
  const exhausted = new PointsweepError('LOOKUP_BUDGET_EXHAUSTED', `no answer within the ${budgetMs} ms budget`, true);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(exhausted);
      resolve({ ok: false, error: exhausted });
    }, budgetMs);
  });
  try {
    const settled = await Promise.all(
      tasks.map(async ([key, task]) => {
        const outcome = task(controller.signal).then(
          (value): Settled<T> => ({ ok: true, value }),
          (error: unknown): Settled<T> => ({ ok: false, error }),
        );
        return [key, await Promise.race([outcome, deadline])] as const;
      }),
    );
    return new Map(settled);
  } finally {
    clearTimeout(timer);
  }
}
