import { ServiceDefinition } from '@pointsweep/messaging';
import { ConversionLedgerModule } from './conversion-ledger.module';
import { LedgerTables1764000003000 } from './migrations/1764000003000-ledger-tables';
import { QuotesAndSagaColumns1764000003100 } from './migrations/1764000003100-quotes-and-saga-columns';
import { PayoutAccountDetails1764000003200 } from './migrations/1764000003200-payout-account-details';
import { FinishedPartsIndex1764000003300 } from './migrations/1764000003300-finished-parts-index';
import { CashOutNotifyTopic1764000003400 } from './migrations/1764000003400-cash-out-notify-topic';

export const conversionLedgerService: ServiceDefinition = {
  name: 'conversion-ledger',
  schema: 'ledger',
  migrations: [LedgerTables1764000003000, QuotesAndSagaColumns1764000003100, PayoutAccountDetails1764000003200, FinishedPartsIndex1764000003300, CashOutNotifyTopic1764000003400],
  consumes: ['ledgerCommands', 'issuerEvents', 'settlementEvents'],
  // One partition at a time: a group of journals in one transaction locks shard heads and hot balance rows in the
  // order its messages come, so two groups side by side could deadlock (and stall a second before one gives way).
  partitionsConsumedConcurrently: 1,
  module: (runtime, config) => ConversionLedgerModule.forRoot(runtime, config),
};
