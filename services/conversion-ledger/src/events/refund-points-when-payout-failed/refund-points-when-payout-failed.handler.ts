import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { messageDefinition, PayoutFailed, RefundPoints } from '@pointsweep/contracts';
import { MessageContext, OnEvent } from '@pointsweep/messaging';
import { transitionPart } from '../part-transition';

@Controller()
export class RefundPointsWhenPayoutFailedHandler {
  /** A payout that failed for good gives the points back to the card company; the part ends when they are back. */
  @OnEvent('PayoutFailed')
  async handle(@Payload() event: PayoutFailed, @Ctx() ctx: MessageContext): Promise<void> {
    const moved = await transitionPart(ctx, event.partId, { type: 'PartPayoutFailed', code: event.code, reason: event.reason }, ctx.acceptedAt, {
      failureReason: event.reason,
    });
    if (!moved) return;
    ctx.emit(messageDefinition(RefundPoints.name)!, refundFor(moved.part.id, moved.part.personId, moved.part.program, moved.next.pointsConsumed, moved.part.issuerTransactionId!), moved.part.personId);
  }
}

/** The same refund every time for a part, so a re-sent command can never refund twice. */
export function refundFor(partId: string, personId: string, program: string, points: number, redemptionTransactionId: string): RefundPoints {
  return { partId, personId, program, points, redemptionTransactionId, idempotencyKey: `refund-${partId}` };
}
