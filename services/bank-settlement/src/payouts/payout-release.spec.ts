import { EntityManager } from 'typeorm';
import { releaseScheduledPayouts } from './payout-release';

const kst = (dateTime: string) => new Date(`${dateTime}+09:00`);

/** A transaction that answers the release's queries from a list of scheduled part ids. */
function fakeTx(options: { locked: boolean; scheduled: string[] }) {
  const queries: { sql: string; params: unknown[] }[] = [];
  let sequence = 100;
  const remaining = [...options.scheduled];
  const tx = {
    query: async (sql: string, params: unknown[] = []) => {
      queries.push({ sql, params });
      if (sql.includes('pg_try_advisory_xact_lock')) return [{ locked: options.locked }];
      if (sql.includes('pg_advisory_xact_lock')) return [{}];
      if (sql.includes('FROM payouts')) return remaining.splice(0, params[2] as number).map((part_id) => ({ part_id }));
      if (sql.includes('nextval')) return Array.from({ length: params[0] as number }, () => ({ n: String(++sequence) }));
      return [];
    },
  };
  return { tx: tx as unknown as EntityManager, queries };
}

describe('releasing scheduled payouts', () => {
  it('given another instance holds the release lock, when a tick runs, then it releases nothing', async () => {
    const { tx, queries } = fakeTx({ locked: false, scheduled: ['a', 'b'] });
    await expect(releaseScheduledPayouts(tx, { now: kst('2026-11-27T09:00:00'), dueOnly: true, limit: 200, waitForLock: false })).resolves.toBe(0);
    expect(queries).toHaveLength(1);
  });

  it('given due payouts, when released, then each gets a fresh bank id and the KST date of the release as its transfer date', async () => {
    const { tx, queries } = fakeTx({ locked: true, scheduled: ['a', 'b', 'c'] });
    // 00:30 UTC on the 27th is 09:30 KST on the 27th.
    await expect(releaseScheduledPayouts(tx, { now: new Date('2026-11-27T00:30:00Z'), dueOnly: true, limit: 200, waitForLock: false })).resolves.toBe(3);
    const update = queries.find((q) => q.sql.includes('UPDATE payouts'))!;
    expect(update.params).toEqual([['a', 'b', 'c'], '20261127', ['PTSWEEP001U00000002T', 'PTSWEEP001U00000002U', 'PTSWEEP001U00000002V']]);
    const select = queries.find((q) => q.sql.includes('FROM payouts'))!;
    expect(select.params[0]).toBe(true); // only those whose release_at has come
  });

  it('given more due payouts than the per-tick limit, then only the limit is released', async () => {
    const { tx } = fakeTx({ locked: true, scheduled: ['a', 'b', 'c', 'd', 'e'] });
    await expect(releaseScheduledPayouts(tx, { now: kst('2026-11-27T09:00:00'), dueOnly: true, limit: 2, waitForLock: false })).resolves.toBe(2);
  });

  it('given the operator command, then it waits for the lock and releases every scheduled payout, due or not', async () => {
    const scheduled = Array.from({ length: 2500 }, (_, i) => `p${i}`);
    const { tx, queries } = fakeTx({ locked: true, scheduled });
    await expect(releaseScheduledPayouts(tx, { now: kst('2026-11-26T22:00:00'), dueOnly: false, waitForLock: true })).resolves.toBe(2500);
    expect(queries[0].sql).toContain('pg_advisory_xact_lock');
    expect(queries.filter((q) => q.sql.includes('FROM payouts')).every((q) => q.params[0] === false)).toBe(true);
  });
});
