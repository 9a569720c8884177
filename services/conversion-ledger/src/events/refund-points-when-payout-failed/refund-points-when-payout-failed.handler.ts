import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { PayoutFailed, programDefinition } from '@pointsweep/contracts';
import { MessageContext, OnEvent } from '@pointsweep/messaging';
import { redemptionLines, reversalOf } from '../../domain/journal';
import { appendJournal } from '../../ledger/ledger.writer';
import { transitionPart } from '../part-transition';

@Controller()
export class RefundPointsWhenPayoutFailedHandler {
  /** A payout that failed for good is undone in the ledger by a reversing entry; the part ends failed with the reason. */
  @OnEvent('PayoutFailed')
  async handle(@Payload() event: PayoutFailed, @Ctx() ctx: MessageContext): Promise<void> {
    const moved = await transitionPart(ctx.tx, event.partId, { type: 'PartPayoutFailed', code: event.code, reason: event.reason }, ctx.acceptedAt, {
      failureReason: event.reason,
    });
    if (!moved) return;
    const program = programDefinition(moved.part.program)!;
    await appendJournal(ctx.tx, {
      kind: 'REDEMPTION_REVERSAL',
      partId: event.partId,
      shardKey: moved.part.personId,
      occurredAt: ctx.acceptedAt,
      lines: reversalOf(redemptionLines(program.program, program.issuer, moved.next.pointsConsumed, moved.next.won)),
    });
  }
}
