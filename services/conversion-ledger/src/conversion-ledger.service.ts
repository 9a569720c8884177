import { ServiceDefinition } from '@pointsweep/messaging';
import { ConversionLedgerModule } from './conversion-ledger.module';
import { LedgerTables1764000003000 } from './migrations/1764000003000-ledger-tables';

export const conversionLedgerService: ServiceDefinition = {
  name: 'conversion-ledger',
  schema: 'ledger',
  migrations: [LedgerTables1764000003000],
  consumes: ['ledgerCommands', 'issuerEvents', 'settlementEvents', 'identityEvents'],
  module: (runtime, config) => ConversionLedgerModule.forRoot(runtime, config),
};
