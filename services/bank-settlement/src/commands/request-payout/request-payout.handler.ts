import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { ErrorCodes, messageDefinition, PayoutFailed, PayoutScheduled, RequestPayout } from '@pointsweep/contracts';
import { JsonLogger, MessageContext } from '@pointsweep/messaging';
import { formatBankTransactionId, transferDateOf } from '../../payouts/bank-transaction-id';
import { PayoutStatus } from '../../payouts/payout-decision';
import { timingForRequest } from '../../payouts/payout-schedule';
import { PayoutWorker } from '../../payouts/payout-worker';
import { NewPayout, PayoutRequests } from './payout-requests';

export interface PayoutAccepted {
  partId: string;
  status: PayoutStatus;
  transferDate?: string;
  bankTransactionId?: string;
  /** For a SCHEDULED payout: when it will be released (09:00 KST on the next business day). */
  releaseAt?: string;
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
   * finds the first payout instead of making a second. The insert is left to the end of the transaction, one for
   * the group.
   */
  @MessagePattern(RequestPayout.name)
  async handle(@Payload() command: RequestPayout, @Ctx() ctx: MessageContext): Promise<PayoutAccepted> {
    const log = this.logger.child({ correlationId: ctx.envelope.correlationId, messageId: ctx.envelope.id, partId: command.partId });
    // Read with every other payout request of the transaction, in one statement (see PayoutRequests).
    const requests = PayoutRequests.of(ctx);
    const { existing, owner, next_id } = await requests.knownFor(command);
    const record = (outcome: Pick<NewPayout, 'status' | 'transferDate' | 'bankTransactionId' | 'releaseAt' | 'failureCode' | 'failureReason'>) => requests.add({
      partId: command.partId, personId: command.personId, accountId: command.accountId, amountWon: command.amountWon, issuer: command.issuer,
      cashOutAcceptedAt: command.acceptedAt, correlationId: ctx.envelope.correlationId, causationId: ctx.envelope.id, acceptedAt: ctx.acceptedAt,
      ...outcome,
    });
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
      record({ status: 'FAILED', failureCode: ErrorCodes.accountNotOwn, failureReason: reason });
      const event: PayoutFailed = { partId: command.partId, code: ErrorCodes.accountNotOwn, reason };
      ctx.emit(messageDefinition(PayoutFailed.name)!, event, command.personId);
      log.warn('payout refused', { failureCode: ErrorCodes.accountNotOwn, reason, accountId: command.accountId });
      return { partId: command.partId, status: 'FAILED' };
    }

    // The cut-off is judged by when the system accepted the cash-out, never by when this message is processed.
    const timing = timingForRequest(command);
    if (timing.mode === 'SCHEDULED') {
      record({ status: 'SCHEDULED', releaseAt: timing.releaseAt });
      const event: PayoutScheduled = { partId: command.partId, releaseAt: timing.releaseAt.toISOString() };
      ctx.emit(messageDefinition(PayoutScheduled.name)!, event, command.personId);
      log.info('payout scheduled', { amountWon: command.amountWon, issuer: command.issuer, cashOutAcceptedAt: command.acceptedAt, releaseAt: event.releaseAt });
      return { partId: command.partId, status: 'SCHEDULED', releaseAt: event.releaseAt };
    }

    const transferDate = transferDateOf(ctx.acceptedAt);
    const bankTransactionId = formatBankTransactionId(BigInt(next_id));
    record({ status: 'PENDING', transferDate, bankTransactionId });
    log.info('payout accepted', { amountWon: command.amountWon, issuer: command.issuer, transferDate, bankTransactionId });
    // Not yet committed: the kick only shortens the wait; the worker's poll would find it anyway.
    setImmediate(() => this.worker.kick());
    return { partId: command.partId, status: 'PENDING', transferDate, bankTransactionId };
  }
}
