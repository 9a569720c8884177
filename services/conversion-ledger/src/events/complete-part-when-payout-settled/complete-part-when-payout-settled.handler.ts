import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { PayoutSettled } from '@pointsweep/contracts';
import { JsonLogger, MessageContext, OnEvent } from '@pointsweep/messaging';
import { payoutLines } from '../../domain/journal';
import { PendingLedgerWrites } from '../../ledger/pending-ledger-writes';
import { transitionPart } from '../part-transition';

@Controller()
export class CompletePartWhenPayoutSettledHandler {
  constructor(private readonly logger: JsonLogger) {}

  @OnEvent('PayoutSettled')
  async handle(@Payload() event: PayoutSettled, @Ctx() ctx: MessageContext): Promise<void> {
    const moved = await transitionPart(ctx, event.partId, { type: 'PartPaid', bankTransactionId: event.bankTransactionId, transferDate: event.transferDate }, ctx.acceptedAt);
    if (!moved) return;
    if (moved.next.won !== event.amountWon) {
      // The bank paid a different amount than was redeemed: post what the bank paid and make it visible.
      this.logger.error('payout amount differs from the redeemed value', { partId: event.partId, expected: moved.next.won, paid: event.amountWon, correlationId: ctx.envelope.correlationId });
    }
    PendingLedgerWrites.of(ctx).appendJournal({ kind: 'PAYOUT', partId: event.partId, shardKey: moved.part.personId, occurredAt: ctx.acceptedAt, lines: payoutLines(event.amountWon) });
  }
}
