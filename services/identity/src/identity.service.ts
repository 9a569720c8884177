import { StartIdentityVerification } from '@pointsweep/contracts';
import { ServiceDefinition } from '@pointsweep/messaging';
import { IdentityModule } from './identity.module';
import { IdentityTables1764000001000 } from './migrations/1764000001000-identity-tables';
import { VerificationAttempts1764300001000 } from './migrations/1764300001000-verification-attempts';

export const identityService: ServiceDefinition = {
  name: 'identity',
  schema: 'identity',
  migrations: [IdentityTables1764000001000, VerificationAttempts1764300001000],
  consumes: ['identityCommands'],
  // A person's first step: when identity falls behind, newcomers wait outside so those inside finish.
  entryRequests: [StartIdentityVerification.name],
  module: (runtime, config) => IdentityModule.forRoot(runtime, config),
};
