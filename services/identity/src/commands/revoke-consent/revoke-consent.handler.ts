import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { ConsentRecorded, ConsentRevoked, messageDefinition, RevokeConsent } from '@pointsweep/contracts';
import { AssertionVerifier, MessageContext, MessagingRuntime } from '@pointsweep/messaging';
import { personFromAssertion } from '../../identity-record';
import { ConsentGrants } from '../grant-consent/consent-grants';

@Controller()
export class RevokeConsentHandler {
  constructor(
    private readonly verifier: AssertionVerifier,
    private readonly runtime: MessagingRuntime,
  ) {}

  /**
   * Withdraws the person's consent for one card company. Idempotent: revoking a consent that is already
   * revoked, or was never granted, answers REVOKED again and emits nothing; only a GRANTED → REVOKED change
   * emits ConsentRevoked. The update takes the consent's row lock before the event is queued, so a grant and a
   * revoke of the same consent reach identity.events (keyed by person) in the order they took effect.
   */
  @MessagePattern(RevokeConsent.name)
  async handle(@Payload() command: RevokeConsent, @Ctx() ctx: MessageContext): Promise<ConsentRecorded> {
    const person = await personFromAssertion(ctx.tx, this.verifier, command.assertion, ctx.acceptedAt);
    const log = this.runtime.logFor(ctx.envelope);
    // Grants earlier in this transaction are written first, so this revoke sees them.
    await ConsentGrants.of(ctx).flush();
    const revoked: unknown[] = await ctx.tx.query(
      `UPDATE consents SET status = 'REVOKED', updated_at = $3
       WHERE person_id = $1 AND issuer = $2 AND status <> 'REVOKED'
       RETURNING person_id`,
      [person.id, command.issuer, ctx.acceptedAt],
    );
    if (revoked.length > 0) {
      const event: ConsentRevoked = { personId: person.id, issuer: command.issuer };
      ctx.emit(messageDefinition(ConsentRevoked.name)!, event, person.id);
      log.info('consent revoked', { personId: person.id, issuer: command.issuer });
      return { issuer: command.issuer, status: 'REVOKED', at: ctx.acceptedAt.toISOString() };
    }
    // Already revoked (answer with when it was), or never granted (nothing to withdraw).
    const earlier: { updated_at: Date }[] = await ctx.tx.query(
      `SELECT updated_at FROM consents WHERE person_id = $1 AND issuer = $2`,
      [person.id, command.issuer],
    );
    log.info('consent was not granted; nothing to revoke', { personId: person.id, issuer: command.issuer, known: earlier.length > 0 });
    const at = earlier.length > 0 ? new Date(earlier[0].updated_at) : ctx.acceptedAt;
    return { issuer: command.issuer, status: 'REVOKED', at: at.toISOString() };
  }
}
