import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { PROGRAMS } from '@pointsweep/contracts';
import { openDatabase } from '@pointsweep/messaging';
import { appendJournals, auditLedger, conversionLedgerService, redemptionLines } from '@pointsweep/conversion-ledger';
import { createTestDatabase, TestDatabase } from './harness';

/** The ledger appends a group's journals together at the end of its transaction (PendingLedgerWrites). */
describe('appending a group of journals to the ledger', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase('appends');
    dataSource = await openDatabase({ url: database.url, schema: conversionLedgerService.schema, migrations: conversionLedgerService.migrations, poolSize: 4 });
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  const redemption = (n: number, partId: string = randomUUID()) => {
    const def = PROGRAMS[n % PROGRAMS.length];
    const points = def.rate.points * (100 + n);
    return { kind: 'REDEMPTION' as const, partId, shardKey: randomUUID(), occurredAt: new Date(), lines: redemptionLines(def.program, def.issuer, points, (points / def.rate.points) * def.rate.won) };
  };
  const journalCount = async () => Number((await dataSource.query(`SELECT count(*) AS n FROM ledger_journals`))[0].n);
  // The journals here belong to no cash-out part, so the money rule (redeemed = paid + refunded + in flight) is
  // not asked; balancing, the chains and the projection are.
  const failedChecks = async () => (await auditLedger({ databaseUrl: database.url, schema: conversionLedgerService.schema })).checks
    .filter((c) => !c.ok && !c.name.startsWith('redeemed value'));

  it('chains journals of many shards in one call and keeps the balances equal to a rebuild', async () => {
    const group = Array.from({ length: 40 }, (_, n) => redemption(n));
    const ids = await dataSource.transaction((tx) => appendJournals(tx, group));
    expect(new Set(ids).size).toBe(40);
    const shards: { shard: number; n: string }[] = await dataSource.query(`SELECT shard, count(*) AS n FROM ledger_journals GROUP BY shard`);
    expect(shards.length).toBeGreaterThan(1);
    expect(await failedChecks()).toEqual([]);
  });

  it('lets writers append overlapping groups at the same time without a deadlock or a broken chain', async () => {
    const before = await journalCount();
    const writer = async (w: number) => {
      for (let round = 0; round < 15; round++) {
        const group = Array.from({ length: 12 }, (_, k) => redemption(w * 1000 + round * 12 + k));
        await dataSource.transaction((tx) => appendJournals(tx, group));
      }
    };
    const outcomes = await Promise.allSettled([0, 1, 2, 3].map(writer));
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    expect(await journalCount()).toBe(before + 4 * 15 * 12);
    expect(await failedChecks()).toEqual([]);
  });

  it('refuses a group that posts one part twice and keeps none of it', async () => {
    const before = await journalCount();
    const partId = randomUUID();
    await expect(dataSource.transaction((tx) => appendJournals(tx, [redemption(1), redemption(2, partId), redemption(3, partId)]))).rejects.toThrow(/duplicate key/);
    expect(await journalCount()).toBe(before);
    expect(await failedChecks()).toEqual([]);
  });
});
