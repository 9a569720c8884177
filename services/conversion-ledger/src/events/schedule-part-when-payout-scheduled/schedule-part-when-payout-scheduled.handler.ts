import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { PayoutScheduled } from '@pointsweep/contracts';
import { MessageContext, OnEvent } from '@pointsweep/messaging';
import { transitionPart } from '../part-transition';

@Controller()
export class SchedulePartWhenPayoutScheduledHandler {
  /** After the cut-off or on a non-business day the person sees when the money will come. */
  @OnEvent('PayoutScheduled')
  async handle(@Payload() event: PayoutScheduled, @Ctx() ctx: MessageContext): Promise<void> {
    await transitionPart(ctx, event.partId, { type: 'PartScheduled', releaseAt: event.releaseAt }, ctx.acceptedAt);
  }
}
