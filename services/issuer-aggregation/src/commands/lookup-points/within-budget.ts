import { PointsweepError } from '@pointsweep/contracts';

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A keyed task; `waitMs`, when shorter than the budget, is how long the answer waits for this one. */
export type BudgetedTask<K, T> = readonly [K, (signal: AbortSignal) => Promise<T>, waitMs?: number];

/**
 * Runs the tasks in parallel and answers when all settle or the budget runs out, whichever is first.
 * At the budget the shared signal aborts what is still running, and those tasks count as failed;
 * a task that ignores the signal cannot delay the answer. A task with its own shorter wait counts as failed when
 * that passes, but is not aborted: it runs on (to its own timeout) after the answer, and its outcome still counts
 * where it lands (a card company's breaker learns from a trial call that no lookup waited for).
 */
export async function settleWithinBudget<K, T>(
  tasks: readonly BudgetedTask<K, T>[],
  budgetMs: number,
): Promise<Map<K, Settled<T>>> {
  const controller = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  const after = (ms: number, onExpiry: () => Settled<T>) => new Promise<Settled<T>>((resolve) => {
    timers.push(setTimeout(() => resolve(onExpiry()), ms));
  });
  const deadline = after(budgetMs, () => {
    // Built only when the budget runs out: most lookups never need it.
    const exhausted = new PointsweepError('LOOKUP_BUDGET_EXHAUSTED', `no answer within the ${budgetMs} ms budget`, true);
    controller.abort(exhausted);
    return { ok: false, error: exhausted };
  });
  try {
    const settled = await Promise.all(
      tasks.map(async ([key, task, waitMs]) => {
        const outcome = task(controller.signal).then(
          (value): Settled<T> => ({ ok: true, value }),
          (error: unknown): Settled<T> => ({ ok: false, error }),
        );
        const waits = [outcome, deadline];
        if (waitMs !== undefined && waitMs < budgetMs) {
          waits.push(after(waitMs, () => ({ ok: false, error: new PointsweepError('LOOKUP_WAIT_EXHAUSTED', `no answer within its ${waitMs} ms wait`, true) })));
        }
        return [key, await Promise.race(waits)] as const;
      }),
    );
    return new Map(settled);
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
}
