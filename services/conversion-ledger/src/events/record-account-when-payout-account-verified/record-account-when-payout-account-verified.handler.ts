import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { PayoutAccountVerified } from '@pointsweep/contracts';
import { MessageContext, OnEvent } from '@pointsweep/messaging';

@Controller()
export class RecordAccountWhenPayoutAccountVerifiedHandler {
  /** Whose account an id is (to refuse payouts to anyone else's), and the sealed number the payout carries. */
  @OnEvent('PayoutAccountVerified')
  async handle(@Payload() event: PayoutAccountVerified, @Ctx() ctx: MessageContext): Promise<void> {
    await ctx.tx.query(
      `INSERT INTO payout_accounts (account_id, person_id, bank_code, sealed_account_number) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [event.accountId, event.personId, event.bankCode, event.sealedAccountNumber],
    );
  }
}
