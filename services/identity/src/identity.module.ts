import { DynamicModule, Module } from '@nestjs/common';
import { AssertionSigner, MessagingRuntime, PlatformModule, ServiceConfig } from '@pointsweep/messaging';
import { ConfirmVerificationHandler } from './commands/confirm-verification/confirm-verification.handler';
import { GrantConsentHandler } from './commands/grant-consent/grant-consent.handler';
import { GrantConsentsHandler } from './commands/grant-consents/grant-consents.handler';
import { RegisterPayoutAccountHandler } from './commands/register-payout-account/register-payout-account.handler';
import { RevokeConsentHandler } from './commands/revoke-consent/revoke-consent.handler';
import { StartVerificationHandler } from './commands/start-verification/start-verification.handler';
import { SagaDoor } from './admission/saga-door';

@Module({})
export class IdentityModule {
  static forRoot(runtime: MessagingRuntime, config: ServiceConfig): DynamicModule {
    return {
      module: IdentityModule,
      imports: [PlatformModule.forRoot(runtime, config)],
      controllers: [StartVerificationHandler, ConfirmVerificationHandler, GrantConsentHandler, GrantConsentsHandler, RevokeConsentHandler, RegisterPayoutAccountHandler],
      providers: [{ provide: AssertionSigner, useValue: new AssertionSigner(config.keys) }, SagaDoor],
    };
  }
}
