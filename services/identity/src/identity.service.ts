import { ServiceDefinition } from '@pointsweep/messaging';
import { IdentityModule } from './identity.module';
import { IdentityTables1764000001000 } from './migrations/1764000001000-identity-tables';
import { VerificationAttempts1764300001000 } from './migrations/1764300001000-verification-attempts';

export const identityService: ServiceDefinition = {
  name: 'identity',
  schema: 'identity',
  migrations: [IdentityTables1764000001000, VerificationAttempts1764300001000],
  consumes: ['identityCommands'],
  module: (runtime, config) => IdentityModule.forRoot(runtime, config),
};
