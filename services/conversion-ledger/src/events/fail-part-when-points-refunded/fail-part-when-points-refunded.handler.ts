import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { PointsRefunded, programDefinition } from '@pointsweep/contracts';
import { MessageContext, OnEvent } from '@pointsweep/messaging';
import { redemptionLines, reversalOf } from '../../domain/journal';
import { PendingLedgerWrites } from '../../ledger/pending-ledger-writes';
import { transitionPart } from '../part-transition';

@Controller()
export class FailPartWhenPointsRefundedHandler {
  /** The points are back at the card company: the redemption is undone by a reversing entry, never an edit. */
  @OnEvent('PointsRefunded')
  async handle(@Payload() event: PointsRefunded, @Ctx() ctx: MessageContext): Promise<void> {
    const moved = await transitionPart(ctx, event.partId, { type: 'PartRefunded', refundId: event.refundId }, ctx.acceptedAt);
    if (!moved) return;
    const program = programDefinition(moved.part.program)!;
    PendingLedgerWrites.of(ctx).appendJournal({
      kind: 'REDEMPTION_REVERSAL',
      partId: event.partId,
      shardKey: moved.part.personId,
      occurredAt: ctx.acceptedAt,
      lines: reversalOf(redemptionLines(program.program, program.issuer, moved.next.pointsConsumed, moved.next.won)),
    });
  }
}
