import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { topicsFor } from '@pointsweep/contracts';
import { openDatabase } from '@pointsweep/messaging';
import { bankSettlementService, PayoutStore } from '@pointsweep/bank-settlement';
import { createTestDatabase, randomName, TestDatabase, waitFor } from './harness';

/** The payout worker's lease is what keeps two workers (or one that stalled) from recording one transfer twice. */
describe('a payout worker whose lease ran out', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let store: PayoutStore;

  beforeAll(async () => {
    database = await createTestDatabase('fencing');
    dataSource = await openDatabase({ url: database.url, schema: bankSettlementService.schema, migrations: bankSettlementService.migrations });
    store = new PayoutStore(dataSource, topicsFor(randomName('fencing')));
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  const stateOf = async (partId: string) => {
    const [payout]: { status: string; settled_at: Date | null }[] = await dataSource.query(`SELECT status, settled_at FROM payouts WHERE part_id = $1`, [partId]);
    const [{ n }]: { n: number }[] = await dataSource.query(`SELECT count(*)::int AS n FROM outbox WHERE message_key = (SELECT person_id::text FROM payouts WHERE part_id = $1)`, [partId]);
    const attempts: { line: string }[] = await dataSource.query(`SELECT call || ' ' || outcome || ' ' || decision AS line FROM payout_attempts WHERE part_id = $1 ORDER BY id`, [partId]);
    return { status: payout.status, settled: payout.settled_at !== null, events: n, attempts: attempts.map((a) => a.line) };
  };

  it('records nothing once another worker holds the payout, and the holder records it exactly once', async () => {
    const partId = randomUUID();
    const personId = randomUUID();
    const accountId = randomUUID();
    await dataSource.query(
      `INSERT INTO payout_accounts (account_id, person_id, bank_code, sealed_account_number, verified_at) VALUES ($1, $2, '020', 'k.iv.tag.data', now())`,
      [accountId, personId],
    );
    await dataSource.query(
      `INSERT INTO payouts (part_id, person_id, account_id, amount_won, status, transfer_date, bank_transaction_id, correlation_id, causation_id, accepted_at)
       VALUES ($1, $2, $3, 11400, 'PENDING', '20261126', 'PTSWEEP001U000000042', 'corr', 'cause', now())`,
      [partId, personId, accountId],
    );

    // A first worker takes a lease of 1 ms and stalls (a long GC pause, a lost network): the lease runs out.
    const [stalled] = await store.claimDue(10, 1);
    expect(stalled.partId).toBe(partId);
    const [holder] = await waitFor(async () => {
      const claimed = await store.claimDue(10, 60_000);
      return claimed.length > 0 && claimed;
    }, { description: 'the payout to be claimed again once the first lease ran out' });
    expect(holder.leaseToken).not.toBe(stalled.leaseToken);

    const paid = { type: 'MarkPaid', settledAt: new Date('2026-11-26T01:00:05Z') } as const;
    const completed = { type: 'TransferCompleted', responseCode: '0000' } as const;
    expect(await store.recordAll([{ payout: stalled, call: 'TRANSFER', outcome: completed, decision: paid }], new Date())).toEqual([{ applied: false }]);
    expect(await stateOf(partId)).toEqual({ status: 'PENDING', settled: false, events: 0, attempts: [] });

    // Both outcomes in one batch: only the holder's is recorded, with one attempt and one event.
    expect(await store.recordAll([
      { payout: stalled, call: 'TRANSFER', outcome: completed, decision: paid },
      { payout: holder, call: 'TRANSFER', outcome: completed, decision: paid },
    ], new Date())).toEqual([{ applied: false }, expect.objectContaining({ applied: true, status: 'PAID' })]);
    expect(await stateOf(partId)).toEqual({ status: 'PAID', settled: true, events: 1, attempts: ['TRANSFER TransferCompleted MarkPaid'] });

    // The stalled worker wakes up again: still nothing, and no second PayoutSettled.
    expect(await store.recordAll([{ payout: stalled, call: undefined, outcome: undefined, decision: paid }], new Date())).toEqual([{ applied: false }]);
    expect(await store.recordAll([{ payout: holder, call: undefined, outcome: undefined, decision: paid }], new Date())).toEqual([{ applied: false }]);
    expect(await stateOf(partId)).toEqual({ status: 'PAID', settled: true, events: 1, attempts: ['TRANSFER TransferCompleted MarkPaid'] });
  });
});
