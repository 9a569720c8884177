import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { ConsentGranted, ConsentRecorded, GrantConsent, messageDefinition } from '@pointsweep/contracts';
import { AssertionVerifier, MessageContext } from '@pointsweep/messaging';
import { personFromAssertion } from '../../identity-record';
import { ConsentGrants } from './consent-grants';

/** Records one consent (written with the transaction's others) and tells the card-company service. */
export function grantConsent(ctx: MessageContext, person: { id: string; ci: string }, issuer: string): ConsentRecorded {
  ConsentGrants.of(ctx).add(person.id, issuer, ctx.acceptedAt);
  const event: ConsentGranted = { personId: person.id, ci: person.ci, issuer };
  ctx.emit(messageDefinition(ConsentGranted.name)!, event, person.id);
  return { issuer, status: 'GRANTED', at: ctx.acceptedAt.toISOString() };
}

@Controller()
export class GrantConsentHandler {
  constructor(private readonly verifier: AssertionVerifier) {}

  @MessagePattern(GrantConsent.name)
  async handle(@Payload() command: GrantConsent, @Ctx() ctx: MessageContext): Promise<ConsentRecorded> {
    const person = await personFromAssertion(ctx.tx, this.verifier, command.assertion, ctx.acceptedAt);
    return grantConsent(ctx, person, command.issuer);
  }
}
