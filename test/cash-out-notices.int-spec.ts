import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { openDatabase } from '@pointsweep/messaging';
import { conversionLedgerService, resolvedCashOuts } from '@pointsweep/conversion-ledger';
import { createTestDatabase, TestDatabase } from './harness';

/** Which cash-outs a transaction that moved parts into an outcome tells their client about (CashOutResolved). */
describe('finding the cash-outs a transaction resolved', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase('notices');
    dataSource = await openDatabase({ url: database.url, schema: conversionLedgerService.schema, migrations: conversionLedgerService.migrations, poolSize: 4 });
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  /** A cash-out with two parts being paid out, told on `notifyTopic`. */
  async function cashOutPaying(notifyTopic: string | null): Promise<{ cashOutId: string; parts: [string, string] }> {
    const personId = randomUUID();
    const accountId = randomUUID();
    const cashOutId = randomUUID();
    const parts: [string, string] = [randomUUID(), randomUUID()];
    await dataSource.query(`INSERT INTO payout_accounts (account_id, person_id, bank_code, sealed_account_number) VALUES ($1, $2, '020', 'k.iv.tag.data')`, [accountId, personId]);
    await dataSource.query(
      `INSERT INTO cash_outs (id, person_id, request_id, request_hash, account_id, accepted_at, notify_topic) VALUES ($1, $2, 'req-notices', 'h', $3, now(), $4)`,
      [cashOutId, personId, accountId, notifyTopic],
    );
    for (const [i, program] of ['KB_POINTREE', 'BC_TOP'].entries()) {
      await dataSource.query(
        `INSERT INTO cash_out_parts (id, cash_out_id, person_id, program, kst_day, points_requested, points_consumed, won, state, updated_at)
         VALUES ($1, $2, $3, $4, '2026-11-26', 100, 100, 100, 'PAYING', now())`,
        [parts[i], cashOutId, personId, program],
      );
    }
    return { cashOutId, parts };
  }

  it('finds a cash-out once its last part is paid, not before', async () => {
    const { cashOutId, parts } = await cashOutPaying('pointsweep.replies.app-1');
    await dataSource.query(`UPDATE cash_out_parts SET state = 'PAID' WHERE id = $1`, [parts[0]]);
    await dataSource.transaction(async (tx) => expect(await resolvedCashOuts(tx, [cashOutId])).toEqual([]));
    await dataSource.query(`UPDATE cash_out_parts SET state = 'SCHEDULED' WHERE id = $1`, [parts[1]]);
    const [resolved] = await dataSource.transaction((tx) => resolvedCashOuts(tx, [cashOutId]));
    expect(resolved).toMatchObject({ notifyTopic: 'pointsweep.replies.app-1', view: { cashOutId, requestId: 'req-notices' } });
    expect(resolved.view.parts.map((p) => p.state)).toEqual(['SCHEDULED', 'PAID']);
  });

  it('finds nothing for a cash-out nobody is to be told about', async () => {
    const { cashOutId } = await cashOutPaying(null);
    await dataSource.query(`UPDATE cash_out_parts SET state = 'PAID' WHERE cash_out_id = $1`, [cashOutId]);
    await dataSource.transaction(async (tx) => expect(await resolvedCashOuts(tx, [cashOutId])).toEqual([]));
  });

  it('finds a cash-out exactly once when two transactions pay its last two parts side by side', async () => {
    const { cashOutId, parts } = await cashOutPaying('pointsweep.replies.app-1');
    // Both parts are saved before either transaction looks: without the cash-out's lock, each would see the other's
    // part still PAYING (uncommitted) and nobody would be told.
    const saved: (() => void)[] = [];
    const bothSaved = Promise.all(parts.map(() => new Promise<void>((resolve) => saved.push(resolve))));
    const found = await Promise.all(parts.map((partId, i) => dataSource.transaction(async (tx) => {
      await tx.query(`UPDATE cash_out_parts SET state = 'PAID' WHERE id = $1`, [partId]);
      saved[i]();
      await bothSaved;
      return resolvedCashOuts(tx, [cashOutId]);
    })));
    expect(found.flat().map((r) => r.view.cashOutId)).toEqual([cashOutId]);
  });
});
