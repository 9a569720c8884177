import { CashOutPartState, CashOutView } from '@pointsweep/contracts';
import { isResolved, ResolvedCashOuts } from './resolved-cash-outs';

function view(cashOutId: string, ...states: CashOutPartState[]): CashOutView {
  return {
    cashOutId,
    requestId: `req-${cashOutId}`,
    acceptedAt: '2026-11-26T01:00:00.000Z',
    state: 'IN_PROGRESS',
    parts: states.map((state, i) => ({ partId: `${cashOutId}-${i}`, program: `P${i}`, pointsRequested: 100, pointsConsumed: 100, won: 100, state })),
  };
}

/** Whether the wait was told by the time everything already queued has run (a microtask race cannot tell). */
async function toldYet(told: Promise<CashOutView>): Promise<boolean> {
  let settled = false;
  told.then(() => (settled = true), () => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('ResolvedCashOuts', () => {
  it('hands a notice to the caller waiting for that cash-out', async () => {
    const notices = new ResolvedCashOuts();
    const waiting = notices.wait('a');
    notices.told(view('b', 'PAID'));
    notices.told(view('a', 'PAID', 'SCHEDULED'));
    await expect(waiting.told).resolves.toMatchObject({ cashOutId: 'a' });
    expect(notices.waitingFor).toBe(0);
  });

  it('keeps a notice that came before its caller, and hands it over once', async () => {
    const notices = new ResolvedCashOuts();
    notices.told(view('a', 'FAILED', 'MANUAL_REVIEW'));
    await expect(notices.wait('a').told).resolves.toMatchObject({ cashOutId: 'a' });
    const second = notices.wait('a');
    expect(await toldYet(second.told)).toBe(false);
    second.cancel();
    expect(notices.waitingFor).toBe(0);
  });

  it('keeps only the latest unclaimed notices', async () => {
    const notices = new ResolvedCashOuts(2);
    for (const id of ['a', 'b', 'c']) notices.told(view(id, 'PAID'));
    const dropped = notices.wait('a');
    expect(await toldYet(dropped.told)).toBe(false);
    dropped.cancel();
    expect(await toldYet(notices.wait('b').told)).toBe(true);
    await expect(notices.wait('c').told).resolves.toMatchObject({ cashOutId: 'c' });
  });

  it('ignores a notice of a cash-out with a part still in flight', async () => {
    const notices = new ResolvedCashOuts();
    const waiting = notices.wait('a');
    notices.told(view('a', 'PAID', 'PAYING'));
    expect(await toldYet(waiting.told)).toBe(false);
    waiting.cancel();
  });

  it('ends every wait when the client closes, and keeps nothing', async () => {
    const notices = new ResolvedCashOuts();
    const waiting = notices.wait('a');
    notices.told(view('b', 'PAID'));
    notices.closeAll(new Error('client closed'));
    await expect(waiting.told).rejects.toThrow('client closed');
    expect(notices.waitingFor).toBe(0);
    expect(await toldYet(notices.wait('b').told)).toBe(false);
  });

  it('counts a part scheduled for the next business day as an outcome, a part being refunded not', () => {
    expect(isResolved(view('a', 'PAID', 'SCHEDULED', 'MANUAL_REVIEW', 'FAILED'))).toBe(true);
    expect(isResolved(view('a', 'PAID', 'REFUNDING'))).toBe(false);
  });
});
