import { ServiceDefinition } from '@pointsweep/messaging';
import { BankSettlementModule } from './bank-settlement.module';
import { SettlementTables1764000004000 } from './migrations/1764000004000-settlement-tables';
import { payoutPolicyFromEnv } from './payouts/payout-policy';

export const bankSettlementService: ServiceDefinition = {
  name: 'bank-settlement',
  schema: 'settlement',
  migrations: [SettlementTables1764000004000],
  consumes: ['settlementCommands', 'identityEvents'],
  module: (runtime, config) => BankSettlementModule.forRoot(runtime, config, payoutPolicyFromEnv(process.env)),
};
