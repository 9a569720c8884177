import { runServiceProcess } from '@pointsweep/messaging';
import { conversionLedgerService } from './conversion-ledger.service';

void runServiceProcess(conversionLedgerService, { httpPort: 3003 });
