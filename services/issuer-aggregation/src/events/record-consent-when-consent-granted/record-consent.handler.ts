import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ConsentGranted } from '@pointsweep/contracts';
import { MessageContext, MessagingRuntime } from '@pointsweep/messaging';

@Controller()
export class RecordConsentWhenConsentGranted {
  constructor(private readonly runtime: MessagingRuntime) {}

  /** Identity tells us whom we may query at which card company, and the ci the card companies know them by. */
  @EventPattern<string>(ConsentGranted.name)
  async handle(@Payload() event: ConsentGranted, @Ctx() ctx: MessageContext): Promise<void> {
    await ctx.tx.query(
      `INSERT INTO consents (person_id, issuer, ci, granted_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (person_id, issuer) DO UPDATE SET ci = EXCLUDED.ci, granted_at = EXCLUDED.granted_at`,
      [event.personId, event.issuer, event.ci, ctx.acceptedAt],
    );
    this.runtime.logFor(ctx.envelope).info('consent recorded', { personId: event.personId, issuer: event.issuer });
  }
}
