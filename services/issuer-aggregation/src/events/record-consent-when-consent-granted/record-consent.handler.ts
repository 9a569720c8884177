import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsentGranted } from '@pointsweep/contracts';
import { MessageContext, MessagingRuntime, OnEvent } from '@pointsweep/messaging';

@Controller()
export class RecordConsentWhenConsentGranted {
  constructor(private readonly runtime: MessagingRuntime) {}

  /**
   * Identity tells us whom we may query at which card company, and the ci the card companies know them by.
   * A grant after a revocation re-enables the consent: both events travel on identity.events keyed by person,
   * so they arrive in the order identity recorded them, and the latest one wins.
   */
  @OnEvent('ConsentGranted')
  async handle(@Payload() event: ConsentGranted, @Ctx() ctx: MessageContext): Promise<void> {
    await ctx.tx.query(
      `INSERT INTO consents (person_id, issuer, ci, granted_at, revoked_at) VALUES ($1, $2, $3, $4, NULL)
       ON CONFLICT (person_id, issuer) DO UPDATE SET ci = EXCLUDED.ci, granted_at = EXCLUDED.granted_at, revoked_at = NULL`,
      [event.personId, event.issuer, event.ci, ctx.acceptedAt],
    );
    this.runtime.logFor(ctx.envelope).info('consent recorded', { personId: event.personId, issuer: event.issuer });
  }
}
