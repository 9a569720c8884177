import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsentRevoked, PROGRAMS } from '@pointsweep/contracts';
import { MessageContext, MessagingRuntime, OnEvent } from '@pointsweep/messaging';

@Controller()
export class RevokeConsentWhenConsentRevoked {
  constructor(private readonly runtime: MessagingRuntime) {}

  /**
   * The person withdrew consent: the card company is no longer queried for them (LookupPoints leaves it out) and
   * new redemptions there fail NO_CONSENT. The row and its ci stay: refunds of points already redeemed must still
   * be given back. The points we fetched under the consent (snapshots) are dropped. A later ConsentGranted
   * (same topic and key, so after this) re-enables it.
   */
  @OnEvent('ConsentRevoked')
  async handle(@Payload() event: ConsentRevoked, @Ctx() ctx: MessageContext): Promise<void> {
    const log = this.runtime.logFor(ctx.envelope);
    const revoked: unknown[] = await ctx.tx.query(
      `UPDATE consents SET revoked_at = $3 WHERE person_id = $1 AND issuer = $2 AND revoked_at IS NULL RETURNING person_id`,
      [event.personId, event.issuer, ctx.acceptedAt],
    );
    const programs = PROGRAMS.filter((p) => p.issuer === event.issuer).map((p) => p.program);
    await ctx.tx.query(`DELETE FROM point_snapshots WHERE person_id = $1 AND program = ANY($2::text[])`, [event.personId, programs]);
    if (revoked.length > 0) log.info('consent revoked', { personId: event.personId, issuer: event.issuer });
    else log.info('consent revocation for a consent not held; nothing to do', { personId: event.personId, issuer: event.issuer });
  }
}
