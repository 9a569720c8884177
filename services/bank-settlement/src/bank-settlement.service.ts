import { ServiceDefinition } from '@pointsweep/messaging';
import { BankSettlementModule } from './bank-settlement.module';
import { SettlementTables1764000004000 } from './migrations/1764000004000-settlement-tables';
import { ScheduledPayouts1764000005000 } from './migrations/1764000005000-scheduled-payouts';
import { payoutPolicyFromEnv } from './payouts/payout-policy';
import { releasePolicyFromEnv } from './payouts/release-policy';

export const bankSettlementService: ServiceDefinition = {
  name: 'bank-settlement',
  schema: 'settlement',
  migrations: [SettlementTables1764000004000, ScheduledPayouts1764000005000],
  // The verified account travels sealed in each RequestPayout: settlement needs no other topic.
  consumes: ['settlementCommands'],
  module: (runtime, config) => BankSettlementModule.forRoot(runtime, config, payoutPolicyFromEnv(process.env), releasePolicyFromEnv(process.env)),
};
