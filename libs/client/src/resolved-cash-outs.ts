import { CashOutView, isResolvedState } from '@pointsweep/contracts';

/** Every part of the cash-out has its outcome for now: nothing moves it today without an operator or a release. */
export function isResolved(view: CashOutView): boolean {
  return view.parts.every((p) => isResolvedState(p.state));
}

/**
 * The CashOutResolved notices a client has been told, handed to whoever waits for that cash-out. A notice can come
 * before anyone waits (a cash-out resolved right after its reply): the latest `keep` unclaimed ones are held for a
 * late caller; older ones are dropped (that caller then finds out by its fallback poll).
 */
export class ResolvedCashOuts {
  private readonly waiting = new Map<string, Set<{ resolve(view: CashOutView): void; reject(error: Error): void }>>();
  private readonly unclaimed = new Map<string, CashOutView>();

  constructor(private readonly keep = 10_000) {}

  /** A notice arrived. */
  told(view: CashOutView): void {
    if (!isResolved(view)) return;
    const waiters = this.waiting.get(view.cashOutId);
    if (waiters) {
      this.waiting.delete(view.cashOutId);
      for (const waiter of waiters) waiter.resolve(view);
      return;
    }
    this.unclaimed.delete(view.cashOutId);
    this.unclaimed.set(view.cashOutId, view);
    if (this.unclaimed.size > this.keep) this.unclaimed.delete(this.unclaimed.keys().next().value!);
  }

  /** The notice for this cash-out, as soon as there is one; cancel() when no longer waiting. */
  wait(cashOutId: string): { told: Promise<CashOutView>; cancel(): void } {
    const already = this.unclaimed.get(cashOutId);
    if (already) {
      this.unclaimed.delete(cashOutId);
      return { told: Promise.resolve(already), cancel: () => undefined };
    }
    let waiter!: { resolve(view: CashOutView): void; reject(error: Error): void };
    const told = new Promise<CashOutView>((resolve, reject) => (waiter = { resolve, reject }));
    const waiters = this.waiting.get(cashOutId) ?? new Set();
    waiters.add(waiter);
    this.waiting.set(cashOutId, waiters);
    return {
      told,
      cancel: () => {
        waiters.delete(waiter);
        if (waiters.size === 0 && this.waiting.get(cashOutId) === waiters) this.waiting.delete(cashOutId);
      },
    };
  }

  /** Ends every wait with the error (the client closed): no caller is left holding a timer. */
  closeAll(error: Error): void {
    for (const waiters of this.waiting.values()) for (const waiter of waiters) waiter.reject(error);
    this.waiting.clear();
    this.unclaimed.clear();
  }

  /** Cash-outs someone is waiting for (0 once every wait has ended). */
  get waitingFor(): number {
    return this.waiting.size;
  }
}
