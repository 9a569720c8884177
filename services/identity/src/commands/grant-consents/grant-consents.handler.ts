import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { ConsentRecorded, GrantConsents } from '@pointsweep/contracts';
import { AssertionVerifier, MessageContext } from '@pointsweep/messaging';
import { personFromAssertion } from '../../identity-record';
import { grantConsent } from '../grant-consent/grant-consent.handler';

/** A consent screen's several card companies in one request: each consent and its event exactly as GrantConsent's. */
@Controller()
export class GrantConsentsHandler {
  constructor(private readonly verifier: AssertionVerifier) {}

  @MessagePattern(GrantConsents.name)
  async handle(@Payload() command: GrantConsents, @Ctx() ctx: MessageContext): Promise<ConsentRecorded[]> {
    const person = await personFromAssertion(ctx.tx, this.verifier, command.assertion, ctx.acceptedAt);
    return command.issuers.map((issuer) => grantConsent(ctx, person, issuer));
  }
}
