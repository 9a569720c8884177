import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { ConsentGranted, ConsentRecorded, GrantConsent, messageDefinition } from '@pointsweep/contracts';
import { AssertionVerifier, MessageContext } from '@pointsweep/messaging';
import { personFromAssertion } from '../../identity-record';
import { ConsentGrants } from './consent-grants';

@Controller()
export class GrantConsentHandler {
  constructor(private readonly verifier: AssertionVerifier) {}

  @MessagePattern(GrantConsent.name)
  async handle(@Payload() command: GrantConsent, @Ctx() ctx: MessageContext): Promise<ConsentRecorded> {
    const person = await personFromAssertion(ctx.tx, this.verifier, command.assertion, ctx.acceptedAt);
    ConsentGrants.of(ctx).add(person.id, command.issuer, ctx.acceptedAt);
    const event: ConsentGranted = { personId: person.id, ci: person.ci, issuer: command.issuer };
    ctx.emit(messageDefinition(ConsentGranted.name)!, event, person.id);
    return { issuer: command.issuer, status: 'GRANTED', at: ctx.acceptedAt.toISOString() };
  }
}
