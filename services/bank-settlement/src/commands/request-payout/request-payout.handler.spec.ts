import { EntityManager } from 'typeorm';
import { messageDefinition, RequestPayout, topicsFor } from '@pointsweep/contracts';
import { buildEnvelope, JsonLogger, MessageContext, TransactionWork } from '@pointsweep/messaging';
import { PayoutWorker } from '../../payouts/payout-worker';
import { RequestPayoutHandler } from './request-payout.handler';

const kst = (dateTime: string) => new Date(`${dateTime}+09:00`);
const PERSON = '22222222-2222-4222-8222-222222222222';
const ACCOUNT = '11111111-1111-4111-8111-111111111111';

/** A transaction with one verified account and no payouts yet; it records the payouts inserted at its end. */
function given(command: RequestPayout, processedAt: Date) {
  const inserts: Record<string, unknown>[] = [];
  const reads: string[] = [];
  const tx = {
    query: async (sql: string, params: unknown[] = []) => {
      // The payout each part may have, the account's owner and the next bank transaction id, in one statement.
      if (sql.includes('WITH input AS')) {
        reads.push(sql);
        return (JSON.parse(params[0] as string) as { part_id: string }[]).map((c) => ({ part_id: c.part_id, existing: null, owner: PERSON, next_id: '42' }));
      }
      if (sql.includes('INSERT INTO payouts')) inserts.push(...(JSON.parse(params[0] as string) as Record<string, unknown>[]));
      return [];
    },
  } as unknown as EntityManager;
  const envelope = buildEnvelope(messageDefinition(RequestPayout.name)!, command, { key: PERSON, occurredAt: processedAt });
  const ctx = new MessageContext(envelope as never, tx, processedAt, topicsFor('t.'), new TransactionWork([command]));
  const kicks: number[] = [];
  const worker = { kick: () => kicks.push(1) } as unknown as PayoutWorker;
  const logger = new JsonLogger('test', 'error');
  return { ctx, inserts, reads, handler: new RequestPayoutHandler(worker, logger) };
}

function command(issuer: string, acceptedAt: Date): RequestPayout {
  return {
    partId: '6f1c2a3e-0000-4000-8000-000000000001', personId: PERSON, accountId: ACCOUNT, amountWon: 66, issuer, acceptedAt: acceptedAt.toISOString(),
    bankCode: '004', sealedAccountNumber: 'sealed-account-number',
  };
}

describe('RequestPayout', () => {
  it('given a cash-out accepted at 20:00 but processed the next morning, then the acceptance time decides: scheduled, with PayoutScheduled in the same transaction', async () => {
    const { ctx, inserts, handler } = given(command('KB', kst('2026-11-26T20:00:00')), kst('2026-11-27T10:00:00'));
    const result = await handler.handle(command('KB', kst('2026-11-26T20:00:00')), ctx);
    await ctx.work.flush();
    expect(result).toEqual({ partId: expect.any(String), status: 'SCHEDULED', releaseAt: kst('2026-11-27T09:00:00').toISOString() });
    expect(inserts).toHaveLength(1);
    expect(inserts[0]).toMatchObject({ status: 'SCHEDULED', release_at: kst('2026-11-27T09:00:00').toISOString(), transfer_date: null, bank_transaction_id: null });
    expect(ctx.pending.map((m) => [m.envelope.type, m.envelope.payload])).toEqual([
      ['PayoutScheduled', { partId: result.partId, releaseAt: kst('2026-11-27T09:00:00').toISOString() }],
    ]);
    expect(ctx.pending[0].topic).toBe(topicsFor('t.').settlementEvents);
  });

  it('given a cash-out accepted at 19:59:59 but processed at 20:00:05, then immediate: pending with a bank id, nothing emitted', async () => {
    const cmd = command('SHINHAN', kst('2026-11-26T19:59:59'));
    const { ctx, inserts, handler } = given(cmd, kst('2026-11-26T20:00:05'));
    const result = await handler.handle(cmd, ctx);
    await ctx.work.flush();
    expect(result).toEqual({ partId: cmd.partId, status: 'PENDING', transferDate: '20261126', bankTransactionId: 'PTSWEEP001U000000016' });
    expect(inserts).toEqual([expect.objectContaining({ status: 'PENDING', transfer_date: '20261126', bank_transaction_id: 'PTSWEEP001U000000016' })]);
    expect(ctx.pending).toEqual([]);
  });

  it('given a Citi cash-out in the morning, then scheduled for the next business day', async () => {
    const cmd = command('CITI', kst('2026-11-27T09:30:00'));
    const { ctx, handler } = given(cmd, kst('2026-11-27T09:30:01'));
    expect(await handler.handle(cmd, ctx)).toMatchObject({ status: 'SCHEDULED', releaseAt: kst('2026-11-30T09:00:00').toISOString() });
  });

  it('given three requests in one transaction, then one read for all of them and one insert for their payouts', async () => {
    const first = command('SHINHAN', kst('2026-11-26T10:00:00'));
    const others = [2, 3].map((n) => ({ ...command('KB', kst('2026-11-26T10:00:00')), partId: `6f1c2a3e-0000-4000-8000-00000000000${n}` }));
    const { ctx, inserts, reads, handler } = given(first, kst('2026-11-26T10:00:01'));
    const work = new TransactionWork([first, ...others]);
    const contexts = [first, ...others].map(() => new MessageContext(ctx.envelope, ctx.tx, ctx.acceptedAt, topicsFor('t.'), work));
    for (const [i, cmd] of [first, ...others].entries()) await handler.handle(cmd, contexts[i]);
    await work.flush();
    expect(reads).toHaveLength(1);
    expect(inserts.map((row) => [row.part_id, row.status])).toEqual([first, ...others].map((c) => [c.partId, 'PENDING']));
  });
});
