import { runServiceProcess } from '@pointsweep/messaging';
import { issuerAggregationService } from './issuer-aggregation.service';

void runServiceProcess(issuerAggregationService, { httpPort: 3002 });
