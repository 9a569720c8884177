export { conversionLedgerService } from './conversion-ledger.service';
