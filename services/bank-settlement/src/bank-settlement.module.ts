import { DynamicModule, Module } from '@nestjs/common';
import { MessagingRuntime, PlatformModule, ServiceConfig } from '@pointsweep/messaging';
import { RequestPayoutHandler } from './commands/request-payout/request-payout.handler';
import { RecordAccountWhenPayoutAccountVerified } from './events/record-account-when-payout-account-verified/record-account-when-payout-account-verified.handler';
import { BankClient } from './payouts/bank-client';
import { DEFAULT_PAYOUT_POLICY, PayoutPolicy } from './payouts/payout-decision';
import { PAYOUT_POLICY } from './payouts/payout-policy';
import { PayoutWorker } from './payouts/payout-worker';

@Module({})
export class BankSettlementModule {
  static forRoot(runtime: MessagingRuntime, config: ServiceConfig, policy: PayoutPolicy = DEFAULT_PAYOUT_POLICY): DynamicModule {
    return {
      module: BankSettlementModule,
      imports: [PlatformModule.forRoot(runtime, config)],
      controllers: [RecordAccountWhenPayoutAccountVerified, RequestPayoutHandler],
      providers: [{ provide: PAYOUT_POLICY, useValue: policy }, BankClient, PayoutWorker],
      exports: [PayoutWorker],
    };
  }
}
