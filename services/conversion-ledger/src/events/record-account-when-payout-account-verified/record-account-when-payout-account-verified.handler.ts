import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { PayoutAccountVerified } from '@pointsweep/contracts';
import { MessageContext, OnEvent } from '@pointsweep/messaging';

@Controller()
export class RecordAccountWhenPayoutAccountVerifiedHandler {
  /** The ledger only needs to know whose account an id is, to refuse payouts to anyone else's. */
  @OnEvent('PayoutAccountVerified')
  async handle(@Payload() event: PayoutAccountVerified, @Ctx() ctx: MessageContext): Promise<void> {
    await ctx.tx.query(`INSERT INTO payout_accounts (account_id, person_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [event.accountId, event.personId]);
  }
}
