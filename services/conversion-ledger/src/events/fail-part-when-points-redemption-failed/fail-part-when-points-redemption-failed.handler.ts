import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { PointsRedemptionFailed } from '@pointsweep/contracts';
import { MessageContext, OnEvent } from '@pointsweep/messaging';
import { usesUpDailyLimit } from '../../domain/daily-limit';
import { transitionPart } from '../part-transition';

@Controller()
export class FailPartWhenPointsRedemptionFailedHandler {
  /** Nothing was redeemed, so nothing is posted; a card company that was down does not use up the day's cash-out. */
  @OnEvent('PointsRedemptionFailed')
  async handle(@Payload() event: PointsRedemptionFailed, @Ctx() ctx: MessageContext): Promise<void> {
    await transitionPart(ctx, event.partId, { type: 'PartRedemptionFailed', code: event.code, reason: event.reason }, ctx.acceptedAt, {
      failureReason: event.reason,
      releasesDailyLimit: !usesUpDailyLimit(event.code),
    });
  }
}
