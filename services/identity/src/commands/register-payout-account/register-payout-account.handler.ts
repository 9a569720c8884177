import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { messageDefinition, PayoutAccountRegistered, PayoutAccountVerified, PointsweepError, RegisterPayoutAccount } from '@pointsweep/contracts';
import { AssertionVerifier, callJson, CALLS_OUT, MessageContext, Sealer, SERVICE_CONFIG, ServiceConfig } from '@pointsweep/messaging';
import { personWithIdentity } from '../../identity-record';
import { decideAccountOwnership } from './account-ownership';

@Controller()
export class RegisterPayoutAccountHandler {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    private readonly verifier: AssertionVerifier,
    private readonly sealer: Sealer,
  ) {}

  /** Only own-name accounts: the bank's real-name check must match the verified person's name and birth date. */
  @MessagePattern(RegisterPayoutAccount.name, CALLS_OUT)
  async handle(@Payload() command: RegisterPayoutAccount, @Ctx() ctx: MessageContext): Promise<PayoutAccountRegistered> {
    const person = await personWithIdentity(ctx.tx, this.verifier, this.sealer, command.assertion, ctx.acceptedAt);
    const check = await callJson<{ holderName?: string; birthDate?: string; code?: string }>(
      `${this.config.simulatorsUrl}/bank/accounts/real-name`,
      { body: { bankCode: command.bankCode, accountNumber: command.accountNumber } },
    );
    if (check.status >= 500) throw new PointsweepError('BANK_UNAVAILABLE', 'the bank did not answer the real-name check', true);
    const decision = decideAccountOwnership(person.identity, check.status === 200 ? check.body : null);
    const digest = this.sealer.digest(`${command.bankCode}:${command.accountNumber}`);
    const existing: { id: string; status: string; reason: string | null }[] = await ctx.tx.query(
      `SELECT id, status, reason FROM payout_accounts WHERE person_id = $1 AND bank_code = $2 AND account_digest = $3`,
      [person.id, command.bankCode, digest],
    );
    if (existing.length > 0 && existing[0].status === 'VERIFIED') {
      return { accountId: existing[0].id, status: 'VERIFIED' };
    }
    const accountId = existing[0]?.id ?? randomUUID();
    const sealedAccountNumber = this.sealer.seal(command.accountNumber);
    await ctx.tx.query(
      `INSERT INTO payout_accounts (id, person_id, bank_code, sealed_account_number, account_digest, status, reason, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (person_id, bank_code, account_digest) DO UPDATE SET status = EXCLUDED.status, reason = EXCLUDED.reason`,
      [accountId, person.id, command.bankCode, sealedAccountNumber, digest, decision.status, decision.reason ?? null, ctx.acceptedAt],
    );
    if (decision.status === 'VERIFIED') {
      const event: PayoutAccountVerified = { personId: person.id, accountId, bankCode: command.bankCode, sealedAccountNumber };
      ctx.emit(messageDefinition(PayoutAccountVerified.name)!, event, person.id);
    }
    return { accountId, status: decision.status, reason: decision.reason };
  }
}
