import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { ErrorCodes, messageDefinition, PayoutFailed, PayoutScheduled, RequestPayout } from '@pointsweep/contracts';
import { JsonLogger, MessageContext } from '@pointsweep/messaging';
import { formatBankTransactionId, transferDateOf } from '../../payouts/bank-transaction-id';
import { PayoutStatus } from '../../payouts/payout-decision';
import { timingForRequest } from '../../payouts/payout-schedule';
import { PayoutWorker } from '../../payouts/payout-worker';

export interface PayoutAccepted {
  partId: string;
  status: PayoutStatus;
  transferDate?: string;
  bankTransactionId?: string;
  /** For a SCHEDULED payout: when it will be released (09:00 KST on the next business day). */
  releaseAt?: string;
}

/** A payout row as row_to_json gives it (times as ISO text). */
interface ExistingPayoutRow {
  status: PayoutStatus;
  transfer_date: string | null;
  bank_transaction_id: string | null;
  release_at: string | null;
}

@Controller()
export class RequestPayoutHandler {
  constructor(
    private readonly worker: PayoutWorker,
    private readonly logger: JsonLogger,
  ) {}

  /**
   * Records the payout and nothing else: the bank is called by the worker after this commits. An immediate payout
   * gets its bank transaction id now, so the id is durable before any money can move. A payout accepted after its
   * issuer's cut-off or on a non-business day is SCHEDULED (no id yet; the releaser allocates one on the day it is
   * released) and PayoutScheduled is emitted in the same transaction. part_id is the key, so a repeated command
   * finds the first payout instead of making a second.
   */
  @MessagePattern(RequestPayout.name)
  async handle(@Payload() command: RequestPayout, @Ctx() ctx: MessageContext): Promise<PayoutAccepted> {
    const log = this.logger.child({ correlationId: ctx.envelope.correlationId, messageId: ctx.envelope.id, partId: command.partId });
    // One round trip for what was four (this runs once per part): the payout this part may already have, the account
    // recorded from here (the ledger only sends verified own accounts, sealed, and signed so no one else can send
    // this command), the account's owner, and the next bank transaction id. A number taken and not used (a repeated
    // command, a scheduled payout) is simply never used.
    const [{ existing, owner, next_id }]: { existing: ExistingPayoutRow | null; owner: string | null; next_id: string }[] = await ctx.tx.query(
      `WITH account AS (
         INSERT INTO payout_accounts (account_id, person_id, bank_code, sealed_account_number, verified_at)
         VALUES ($2, $3, $4, $5, $6) ON CONFLICT (account_id) DO NOTHING RETURNING person_id)
       SELECT (SELECT row_to_json(p) FROM (SELECT status, transfer_date, bank_transaction_id, release_at FROM payouts WHERE part_id = $1) p) AS existing,
              COALESCE((SELECT person_id FROM account), (SELECT person_id FROM payout_accounts WHERE account_id = $2))::text AS owner,
              nextval('bank_transaction_seq')::text AS next_id`,
      [command.partId, command.accountId, command.personId, command.bankCode, command.sealedAccountNumber, ctx.acceptedAt],
    );
    if (existing) {
      log.warn('payout already requested for this part; not creating another', { status: existing.status });
      return {
        partId: command.partId,
        status: existing.status,
        transferDate: existing.transfer_date ?? undefined,
        bankTransactionId: existing.bank_transaction_id ?? undefined,
        releaseAt: existing.release_at ? new Date(existing.release_at).toISOString() : undefined,
      };
    }
    if (owner !== command.personId) {
      const reason = owner === null ? 'no verified payout account with this id' : 'the payout account belongs to another person';
      // Kept as a FAILED row, so a repeated command gives the same answer and does not emit twice.
      await ctx.tx.query(
        `INSERT INTO payouts (part_id, person_id, account_id, amount_won, status, failure_code, failure_reason, correlation_id, causation_id,
                              accepted_at, issuer, cash_out_accepted_at)
         VALUES ($1, $2, $3, $4, 'FAILED', $5, $6, $7, $8, $9, $10, $11)`,
        [command.partId, command.personId, command.accountId, command.amountWon, ErrorCodes.accountNotOwn, reason, ctx.envelope.correlationId,
          ctx.envelope.id, ctx.acceptedAt, command.issuer, command.acceptedAt],
      );
      const event: PayoutFailed = { partId: command.partId, code: ErrorCodes.accountNotOwn, reason };
      ctx.emit(messageDefinition(PayoutFailed.name)!, event, command.personId);
      log.warn('payout refused', { failureCode: ErrorCodes.accountNotOwn, reason, accountId: command.accountId });
      return { partId: command.partId, status: 'FAILED' };
    }

    // The cut-off is judged by when the system accepted the cash-out, never by when this message is processed.
    const timing = timingForRequest(command);
    if (timing.mode === 'SCHEDULED') {
      await ctx.tx.query(
        `INSERT INTO payouts (part_id, person_id, account_id, amount_won, status, release_at, correlation_id, causation_id,
                              accepted_at, issuer, cash_out_accepted_at)
         VALUES ($1, $2, $3, $4, 'SCHEDULED', $5, $6, $7, $8, $9, $10)`,
        [command.partId, command.personId, command.accountId, command.amountWon, timing.releaseAt, ctx.envelope.correlationId, ctx.envelope.id,
          ctx.acceptedAt, command.issuer, command.acceptedAt],
      );
      const event: PayoutScheduled = { partId: command.partId, releaseAt: timing.releaseAt.toISOString() };
      ctx.emit(messageDefinition(PayoutScheduled.name)!, event, command.personId);
      log.info('payout scheduled', { amountWon: command.amountWon, issuer: command.issuer, cashOutAcceptedAt: command.acceptedAt, releaseAt: event.releaseAt });
      return { partId: command.partId, status: 'SCHEDULED', releaseAt: event.releaseAt };
    }

    const transferDate = transferDateOf(ctx.acceptedAt);
    const bankTransactionId = formatBankTransactionId(BigInt(next_id));
    await ctx.tx.query(
      `INSERT INTO payouts (part_id, person_id, account_id, amount_won, status, transfer_date, bank_transaction_id, correlation_id, causation_id,
                            accepted_at, issuer, cash_out_accepted_at)
       VALUES ($1, $2, $3, $4, 'PENDING', $5, $6, $7, $8, $9, $10, $11)`,
      [command.partId, command.personId, command.accountId, command.amountWon, transferDate, bankTransactionId, ctx.envelope.correlationId,
        ctx.envelope.id, ctx.acceptedAt, command.issuer, command.acceptedAt],
    );
    log.info('payout accepted', { amountWon: command.amountWon, issuer: command.issuer, transferDate, bankTransactionId });
    // Not yet committed: the kick only shortens the wait; the worker's poll would find it anyway.
    setImmediate(() => this.worker.kick());
    return { partId: command.partId, status: 'PENDING', transferDate, bankTransactionId };
  }
}
