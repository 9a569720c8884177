import { runServiceProcess } from '@pointsweep/messaging';
import { bankSettlementService } from './bank-settlement.service';

void runServiceProcess(bankSettlementService, { httpPort: 3004 });
