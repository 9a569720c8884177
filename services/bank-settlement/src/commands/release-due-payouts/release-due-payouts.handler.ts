import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { PayoutsReleased, ReleaseDuePayouts } from '@pointsweep/contracts';
import { JsonLogger, MessageContext } from '@pointsweep/messaging';
import { releaseScheduledPayouts } from '../../payouts/payout-release';
import { PayoutWorker } from '../../payouts/payout-worker';

@Controller()
export class ReleaseDuePayoutsHandler {
  constructor(
    private readonly worker: PayoutWorker,
    private readonly logger: JsonLogger,
  ) {}

  /**
   * Operator: releases every SCHEDULED payout now, whatever the time or day (the demo and operators use it).
   * Runs in the message's transaction, so a redelivered command releases nothing twice; it waits for the
   * releaser's lock rather than run beside it. Not rate-limited here: the worker still pays at its own pace.
   */
  @MessagePattern(ReleaseDuePayouts.name)
  async handle(@Payload() command: ReleaseDuePayouts, @Ctx() ctx: MessageContext): Promise<PayoutsReleased> {
    const released = await releaseScheduledPayouts(ctx.tx, { now: ctx.acceptedAt, dueOnly: false, waitForLock: true });
    this.logger.child({ correlationId: ctx.envelope.correlationId, messageId: ctx.envelope.id })
      .info('scheduled payouts released by an operator', { operator: command.operator, released });
    // Not yet committed: the kick only shortens the wait; the worker's poll would find them anyway.
    if (released > 0) setTimeout(() => this.worker.kick(), 50);
    return { released };
  }
}
