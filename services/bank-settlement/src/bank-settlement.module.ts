import { DynamicModule, Module } from '@nestjs/common';
import { MessagingRuntime, PlatformModule, ServiceConfig } from '@pointsweep/messaging';
import { ReleaseDuePayoutsHandler } from './commands/release-due-payouts/release-due-payouts.handler';
import { RequestPayoutHandler } from './commands/request-payout/request-payout.handler';
import { BankClient } from './payouts/bank-client';
import { DEFAULT_PAYOUT_POLICY, PayoutPolicy } from './payouts/payout-decision';
import { PAYOUT_POLICY } from './payouts/payout-policy';
import { PayoutReleaser } from './payouts/payout-releaser';
import { PayoutWorker } from './payouts/payout-worker';
import { DEFAULT_RELEASE_POLICY, RELEASE_POLICY, ReleasePolicy } from './payouts/release-policy';

@Module({})
export class BankSettlementModule {
  static forRoot(
    runtime: MessagingRuntime,
    config: ServiceConfig,
    policy: PayoutPolicy = DEFAULT_PAYOUT_POLICY,
    releasePolicy: ReleasePolicy = DEFAULT_RELEASE_POLICY,
  ): DynamicModule {
    return {
      module: BankSettlementModule,
      imports: [PlatformModule.forRoot(runtime, config)],
      controllers: [RequestPayoutHandler, ReleaseDuePayoutsHandler],
      providers: [
        { provide: PAYOUT_POLICY, useValue: policy },
        { provide: RELEASE_POLICY, useValue: releasePolicy },
        BankClient,
        PayoutWorker,
        PayoutReleaser,
      ],
      exports: [PayoutWorker, PayoutReleaser],
    };
  }
}
