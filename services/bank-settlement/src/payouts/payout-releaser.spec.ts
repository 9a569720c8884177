import { JsonLogger, ManualClock, MessagingRuntime } from '@pointsweep/messaging';
import { PayoutReleaser } from './payout-releaser';
import { PayoutWorker } from './payout-worker';

const kst = (dateTime: string) => new Date(`${dateTime}+09:00`);

/** A releaser over a database holding `due` scheduled payouts that are due. */
function given(at: string, due: number) {
  const clock = new ManualClock(kst(at));
  const calls: { sql: string; params: unknown[] }[] = [];
  let remaining = due;
  const tx = {
    query: async (sql: string, params: unknown[] = []) => {
      calls.push({ sql, params });
      if (sql.includes('pg_try_advisory_xact_lock')) return [{ locked: true }];
      if (sql.includes('FROM payouts')) {
        const n = Math.min(remaining, params[2] as number);
        remaining -= n;
        return Array.from({ length: n }, (_, i) => ({ part_id: `p${i}` }));
      }
      if (sql.includes('nextval')) return Array.from({ length: params[0] as number }, (_, i) => ({ n: String(i + 1) }));
      return [];
    },
  };
  const runtime = { dataSource: { transaction: async (work: (t: unknown) => Promise<unknown>) => work(tx) }, logger: new JsonLogger('test', 'error') };
  let kicks = 0;
  const worker = { kick: () => kicks++ } as unknown as PayoutWorker;
  const releaser = new PayoutReleaser(runtime as unknown as MessagingRuntime, worker, clock, { perTick: 200, tickMs: 1000 });
  return { releaser, clock, calls, kicks: () => kicks };
}

describe('payout releaser', () => {
  it('given 08:59:59 on a business day, then it releases nothing and does not touch the database', async () => {
    const { releaser, calls } = given('2026-11-27T08:59:59', 5);
    await expect(releaser.runOnce()).resolves.toBe(0);
    expect(calls).toHaveLength(0);
  });

  it('given a Saturday, then nothing is released', async () => {
    const { releaser, calls } = given('2026-11-28T10:00:00', 5);
    await expect(releaser.runOnce()).resolves.toBe(0);
    expect(calls).toHaveLength(0);
  });

  it('given 09:00 on a business day with 450 due, then 200 per tick, the clock\'s time as "now", and the worker kicked', async () => {
    const { releaser, calls, kicks } = given('2026-11-27T09:00:00', 450);
    expect([await releaser.runOnce(), await releaser.runOnce(), await releaser.runOnce(), await releaser.runOnce()]).toEqual([200, 200, 50, 0]);
    expect(kicks()).toBe(3);
    expect(calls.find((c) => c.sql.includes('FROM payouts'))!.params).toEqual([true, kst('2026-11-27T09:00:00'), 200]);
  });
});
