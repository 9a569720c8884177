import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { PayoutNeedsReview } from '@pointsweep/contracts';
import { MessageContext, OnEvent } from '@pointsweep/messaging';
import { transitionPart } from '../part-transition';

@Controller()
export class ReviewPartWhenPayoutNeedsReviewHandler {
  @OnEvent('PayoutNeedsReview')
  async handle(@Payload() event: PayoutNeedsReview, @Ctx() ctx: MessageContext): Promise<void> {
    await transitionPart(ctx, event.partId, { type: 'PartNeedsReview', reason: event.reason }, ctx.acceptedAt);
  }
}
