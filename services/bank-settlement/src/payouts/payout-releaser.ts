import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { CLOCK, JsonLogger, MessagingRuntime, PollingLoop } from '@pointsweep/messaging';
import type { Clock } from '@pointsweep/messaging';
import { releaseScheduledPayouts } from './payout-release';
import { mayReleaseNow } from './payout-schedule';
import { PayoutWorker } from './payout-worker';
import { RELEASE_POLICY } from './release-policy';
import type { ReleasePolicy } from './release-policy';

/**
 * From 09:00 KST on a business day, moves due SCHEDULED payouts to PENDING and kicks the worker. One instance at a
 * time (an advisory lock held for the whole release transaction), at most `perTick` per tick, one tick per
 * `tickMs`: a rate limit, so a night's backlog reaches the bank steadily.
 */
@Injectable()
export class PayoutReleaser implements OnModuleInit, OnModuleDestroy {
  private readonly logger: JsonLogger;
  private readonly loop: PollingLoop;
  released = 0;

  constructor(
    private readonly runtime: MessagingRuntime,
    private readonly worker: PayoutWorker,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RELEASE_POLICY) private readonly policy: ReleasePolicy,
  ) {
    this.logger = runtime.logger.child({ component: 'payout-releaser' });
    // Never "more work, go again at once": the pause between ticks is the rate limit.
    this.loop = new PollingLoop('payout release tick', async () => {
      await this.runOnce();
      return false;
    }, this.logger, policy.tickMs);
  }

  onModuleInit(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
  }

  /** Releases one batch of due payouts if it is release time; returns how many. */
  async runOnce(): Promise<number> {
    const now = this.clock.now();
    if (!mayReleaseNow(now)) return 0;
    const released = await this.runtime.dataSource.transaction((tx) =>
      releaseScheduledPayouts(tx, { now, dueOnly: true, limit: this.policy.perTick, waitForLock: false }));
    if (released > 0) {
      this.released += released;
      this.logger.info('scheduled payouts released', { released, at: now.toISOString() });
      this.worker.kick();
    }
    return released;
  }
}
