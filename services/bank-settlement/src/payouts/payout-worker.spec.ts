import { JsonLogger, ManualClock, MessagingRuntime, Sealer } from '@pointsweep/messaging';
import { topicsFor } from '@pointsweep/contracts';
import { BankClient } from './bank-client';
import { DEFAULT_PAYOUT_POLICY } from './payout-decision';
import { PayoutWorker } from './payout-worker';

const kst = (dateTime: string) => new Date(`${dateTime}+09:00`);
const MIN = 60_000;

/** A worker over a database that has `due` due payouts, queued `elapsedMs` ago, and a bank that pays. */
function given(at: string, elapsedMs = MIN, due = 1, failJointRecord = false) {
  const clock = new ManualClock(kst(at));
  const claims: unknown[] = [];
  const records: { rows: { part_id: string; status: string }[]; events: { part_id: string; message_type: string }[] }[] = [];
  const transfers: unknown[] = [];
  const dataSource = {
    query: async (sql: string, params: string[] = []) => {
      if (sql.includes('INSERT INTO payout_attempts')) {
        const rows = JSON.parse(params[0]) as { part_id: string; status: string }[];
        if (failJointRecord && rows.length > 1) throw new Error('one of the rows is refused');
        records.push({ rows, events: JSON.parse(params[1]) });
        return rows.map((r) => ({ part_id: r.part_id }));
      }
      if (!sql.includes('SKIP LOCKED')) return [];
      claims.push(sql);
      return [Array.from({ length: due }, (_, i) => ({
        part_id: `6f1c2a3e-0000-4000-8000-00000000000${i + 1}`, person_id: 'p', amount_won: '66', status: 'PENDING', transfer_date: '20261126',
        bank_transaction_id: `PTSWEEP001U00000000${i + 1}`, attempts: 0, elapsed_ms: String(elapsedMs), lease_token: 't', correlation_id: 'c',
        causation_id: 'c', bank_code: '004', sealed_account_number: 'sealed',
      })), due];
    },
    transaction: async () => ({ applied: true, status: 'PAID' }),
  };
  const runtime = { dataSource, topics: topicsFor('t.'), logger: new JsonLogger('test', 'error'), relay: { kick: () => undefined }, readinessChecks: new Map() };
  const bank = { transfer: async (r: unknown) => { transfers.push(r); return { type: 'TransferCompleted', responseCode: '0000' }; } } as unknown as BankClient;
  const sealer = { open: () => '1234567890' } as unknown as Sealer;
  const worker = new PayoutWorker(runtime as unknown as MessagingRuntime, bank, sealer, clock, DEFAULT_PAYOUT_POLICY);
  return { worker, clock, claims, transfers, records };
}

describe('payout worker and maintenance windows', () => {
  it.each(['2026-11-26T23:30:00', '2026-11-26T23:59:00', '2026-11-27T00:29:59'])(
    'given %s KST (a window is open), when the worker runs, then it claims nothing and calls no bank', async (at) => {
      const { worker, claims, transfers } = given(at);
      await expect(worker.runOnce()).resolves.toBe(0);
      expect(claims).toHaveLength(0);
      expect(transfers).toHaveLength(0);
    });

  it('given 00:30 KST (the window has ended), when the worker runs, then the queued payout goes to the bank', async () => {
    const { worker, claims, transfers } = given('2026-11-27T00:30:00');
    await expect(worker.runOnce()).resolves.toBe(1);
    expect(claims).toHaveLength(1);
    expect(transfers).toHaveLength(1);
  });

  it('given a payout queued at 23:25 and the window over at 00:32, then it is transferred, not escalated for its 67 minutes', async () => {
    const { worker, transfers } = given('2026-11-27T00:32:00', 67 * MIN);
    await worker.runOnce();
    expect(transfers).toHaveLength(1);
  });

  it('given a payout genuinely past its deadline outside any window, then it is escalated without calling the bank', async () => {
    const { worker, transfers } = given('2026-11-27T10:32:00', 11 * MIN);
    await worker.runOnce();
    expect(transfers).toHaveLength(0);
  });

  it('given three due payouts that the bank pays, then the three calls are made and their outcomes recorded in one statement with their events', async () => {
    const { worker, transfers, records } = given('2026-11-27T10:00:00', MIN, 3);
    await expect(worker.runOnce()).resolves.toBe(3);
    expect(transfers).toHaveLength(3);
    expect(records).toHaveLength(1);
    expect(records[0].rows.map((r) => r.status)).toEqual(['PAID', 'PAID', 'PAID']);
    expect(records[0].events.map((e) => [e.part_id, e.message_type])).toEqual(records[0].rows.map((r) => [r.part_id, 'PayoutSettled']));
  });

  it('given a batch whose joint record fails, then each outcome is recorded on its own', async () => {
    const { worker, records } = given('2026-11-27T10:00:00', MIN, 3, true);
    await expect(worker.runOnce()).resolves.toBe(3);
    expect(records.map((r) => r.rows.length)).toEqual([1, 1, 1]);
    expect(records.flatMap((r) => r.events.map((e) => e.message_type))).toEqual(['PayoutSettled', 'PayoutSettled', 'PayoutSettled']);
  });
});
