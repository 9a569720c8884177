import { runServiceProcess } from '@pointsweep/messaging';
import { identityService } from './identity.service';

void runServiceProcess(identityService, { httpPort: 3001 });
