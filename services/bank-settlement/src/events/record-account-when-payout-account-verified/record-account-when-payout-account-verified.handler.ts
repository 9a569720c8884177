import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { PayoutAccountVerified } from '@pointsweep/contracts';
import { JsonLogger, MessageContext, OnEvent } from '@pointsweep/messaging';

@Controller()
export class RecordAccountWhenPayoutAccountVerified {
  constructor(private readonly logger: JsonLogger) {}

  /** Keeps the account number sealed as received; it is opened only to make a transfer. */
  @OnEvent('PayoutAccountVerified')
  async handle(@Payload() event: PayoutAccountVerified, @Ctx() ctx: MessageContext): Promise<void> {
    const rows: { person_id: string }[] = await ctx.tx.query(
      `INSERT INTO payout_accounts (account_id, person_id, bank_code, sealed_account_number, verified_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (account_id) DO UPDATE
         SET bank_code = EXCLUDED.bank_code, sealed_account_number = EXCLUDED.sealed_account_number, verified_at = EXCLUDED.verified_at
         WHERE payout_accounts.person_id = EXCLUDED.person_id
       RETURNING person_id`,
      [event.accountId, event.personId, event.bankCode, event.sealedAccountNumber, ctx.acceptedAt],
    );
    const log = this.logger.child({ correlationId: ctx.envelope.correlationId, messageId: ctx.envelope.id });
    if (rows.length === 0) {
      // An account never changes owner; keep the first owner and make the anomaly visible.
      log.error('payout account verified for a different person; ignored', { accountId: event.accountId, personId: event.personId });
      return;
    }
    log.info('payout account recorded', { accountId: event.accountId, personId: event.personId, bankCode: event.bankCode });
  }
}
