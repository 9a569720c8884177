import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { ConfirmIdentityVerification, ErrorCodes, IdentityVerified, PointsweepError } from '@pointsweep/contracts';
import { AssertionSigner, callJson, MessageContext, SERVICE_CONFIG, Sealer, ServiceConfig } from '@pointsweep/messaging';

const ASSERTION_TTL_SECONDS = 30 * 60;

@Controller()
export class ConfirmVerificationHandler {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    private readonly sealer: Sealer,
    private readonly signer: AssertionSigner,
  ) {}

  /** The carrier confirms the code and tells us the person's ci; the same ci is always the same person. */
  @MessagePattern(ConfirmIdentityVerification.name)
  async handle(@Payload() command: ConfirmIdentityVerification, @Ctx() ctx: MessageContext): Promise<IdentityVerified> {
    const rows: { carrier_transaction_id: string; sealed_identity: string; status: string }[] = await ctx.tx.query(
      `SELECT carrier_transaction_id, sealed_identity, status FROM verifications WHERE id = $1 FOR UPDATE`,
      [command.verificationId],
    );
    if (rows.length === 0) throw new PointsweepError(ErrorCodes.notFound, 'no such verification');
    if (rows[0].status !== 'PENDING') throw new PointsweepError(ErrorCodes.verificationFailed, 'this verification is already used');
    const response = await callJson<{ ci?: string; code?: string; message?: string }>(
      `${this.config.simulatorsUrl}/carrier/verifications/${encodeURIComponent(rows[0].carrier_transaction_id)}/confirm`,
      { body: { code: command.code } },
    );
    if (response.status >= 500) throw new PointsweepError('CARRIER_UNAVAILABLE', 'the mobile carrier did not answer', true);
    if (response.status !== 200 || !response.body?.ci) {
      throw new PointsweepError(ErrorCodes.verificationFailed, `verification failed: ${response.body?.code ?? response.status}`);
    }
    const ci = response.body.ci;
    const personId = randomUUID();
    const person: { id: string }[] = await ctx.tx.query(
      `INSERT INTO persons (id, ci, sealed_identity, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (ci) DO UPDATE SET sealed_identity = EXCLUDED.sealed_identity
       RETURNING id`,
      [personId, ci, rows[0].sealed_identity, ctx.acceptedAt],
    );
    await ctx.tx.query(`UPDATE verifications SET status = 'CONFIRMED', person_id = $2 WHERE id = $1`, [command.verificationId, person[0].id]);
    const { token, expiresAt } = this.signer.sign(person[0].id, ctx.acceptedAt, ASSERTION_TTL_SECONDS);
    return { personId: person[0].id, assertion: token, assertionExpiresAt: expiresAt.toISOString() };
  }
}
