import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { ConfirmIdentityVerification, ErrorCodes, IdentityVerified, PointsweepError } from '@pointsweep/contracts';
import { AssertionSigner, callJson, CALLS_OUT, MessageContext, Sealer, SERVICE_CONFIG, ServiceConfig } from '@pointsweep/messaging';

const ASSERTION_TTL_SECONDS = 30 * 60;

/** Wrong or right, at most this many codes are tried per verification; fewer than the carrier's own limit (5). */
export const MAX_CODE_ATTEMPTS = 3;
export const TOO_MANY_CODE_ATTEMPTS = 'VERIFICATION_ATTEMPTS_EXCEEDED';

/** How long after it started a confirmed verification may be confirmed again (a client resending after a lost reply). */
const REPEAT_WINDOW_MS = 10 * 60_000;

@Controller()
export class ConfirmVerificationHandler {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    private readonly sealer: Sealer,
    private readonly signer: AssertionSigner,
    private readonly dataSource: DataSource,
  ) {}

  /**
   * Takes one attempt from the verification's allowance, committed at once (outside the handler's transaction, so
   * a refused code still counts). Returns false when the allowance is used up.
   */
  private async takeAttempt(verificationId: string): Promise<boolean> {
    const rows = await this.dataSource.query(
      `UPDATE verifications SET code_attempts = code_attempts + 1 WHERE id = $1 AND status = 'PENDING' AND code_attempts < $2 RETURNING code_attempts`,
      [verificationId, MAX_CODE_ATTEMPTS],
    );
    return affected(rows) > 0;
  }

  /** Gives an attempt back when the carrier never judged the code (it did not answer). */
  private async returnAttempt(verificationId: string): Promise<void> {
    await this.dataSource.query(`UPDATE verifications SET code_attempts = code_attempts - 1 WHERE id = $1 AND code_attempts > 0`, [verificationId]);
  }

  /** The carrier confirms the code and tells us the person's ci; the same ci is always the same person. */
  @MessagePattern(ConfirmIdentityVerification.name, CALLS_OUT)
  async handle(@Payload() command: ConfirmIdentityVerification, @Ctx() ctx: MessageContext): Promise<IdentityVerified> {
    // The attempt is taken on its own connection and committed at once, so a wrong code counts even though this
    // transaction is rolled back. This transaction takes no row lock before the carrier answers (the attempt's
    // connection may need the row again to give the attempt back); the PENDING → CONFIRMED update decides a race.
    if (!(await this.takeAttempt(command.verificationId))) {
      const found: { status: string; person_id: string | null; ci: string | null; carrier_transaction_id: string; created_at: Date }[] = await ctx.tx.query(
        `SELECT v.status, v.person_id, p.ci, v.carrier_transaction_id, v.created_at FROM verifications v LEFT JOIN persons p ON p.id = v.person_id WHERE v.id = $1`,
        [command.verificationId],
      );
      if (found.length === 0) throw new PointsweepError(ErrorCodes.notFound, 'no such verification');
      const v = found[0];
      // Judged on our own clock from when the verification started (expires_at is the carrier's clock).
      if (v.status === 'CONFIRMED' && v.person_id && v.ci && ctx.acceptedAt.getTime() < new Date(v.created_at).getTime() + REPEAT_WINDOW_MS) {
        return this.confirmAgain(command, ctx, { personId: v.person_id, ci: v.ci, carrierTransactionId: v.carrier_transaction_id });
      }
      if (v.status !== 'PENDING') throw new PointsweepError(ErrorCodes.verificationFailed, 'this verification is already used');
      throw new PointsweepError(TOO_MANY_CODE_ATTEMPTS, `${MAX_CODE_ATTEMPTS} codes were tried for this verification; start a new one`);
    }
    const rows: { carrier_transaction_id: string; sealed_identity: string; status: string }[] = await ctx.tx.query(
      `SELECT carrier_transaction_id, sealed_identity, status FROM verifications WHERE id = $1`,
      [command.verificationId],
    );
    if (rows.length === 0) throw new PointsweepError(ErrorCodes.notFound, 'no such verification');
    if (rows[0].status !== 'PENDING') throw new PointsweepError(ErrorCodes.verificationFailed, 'this verification is already used');
    let response: CarrierConfirmation;
    try {
      response = await this.carrierConfirm(rows[0].carrier_transaction_id, command.code);
    } catch (error) {
      await this.returnAttempt(command.verificationId);
      throw error;
    }
    if (response.status >= 500) {
      await this.returnAttempt(command.verificationId);
      throw new PointsweepError('CARRIER_UNAVAILABLE', 'the mobile carrier did not answer', true);
    }
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
    const confirmed = await ctx.tx.query(
      `UPDATE verifications SET status = 'CONFIRMED', person_id = $2 WHERE id = $1 AND status = 'PENDING' RETURNING id`,
      [command.verificationId, person[0].id],
    );
    if (affected(confirmed) === 0) throw new PointsweepError(ErrorCodes.verificationFailed, 'this verification is already used');
    return this.verified(person[0].id, ctx.acceptedAt);
  }

  /** The carrier's judgement of a code: 200 with the person's ci when it is right. */
  private carrierConfirm(carrierTransactionId: string, code: string): Promise<CarrierConfirmation> {
    return callJson<{ ci?: string; code?: string; message?: string }>(
      `${this.config.simulatorsUrl}/carrier/verifications/${encodeURIComponent(carrierTransactionId)}/confirm`,
      { body: { code } },
    );
  }

  private verified(personId: string, at: Date): IdentityVerified {
    const { token, expiresAt } = this.signer.sign(personId, at, ASSERTION_TTL_SECONDS);
    return { personId, assertion: token, assertionExpiresAt: expiresAt.toISOString() };
  }

  /**
   * The same confirmation again, while its code is valid: a client whose reply came too late sends it once more, and
   * must get the person its first one made, not "already used". The carrier judges the code again (it counts wrong
   * ones and answers a right one with the same ci), so a repeat proves what the first proved; nothing is written.
   */
  private async confirmAgain(
    command: ConfirmIdentityVerification, ctx: MessageContext, confirmed: { personId: string; ci: string; carrierTransactionId: string },
  ): Promise<IdentityVerified> {
    const response = await this.carrierConfirm(confirmed.carrierTransactionId, command.code);
    if (response.status >= 500) throw new PointsweepError('CARRIER_UNAVAILABLE', 'the mobile carrier did not answer', true);
    if (response.status !== 200 || response.body?.ci !== confirmed.ci) {
      throw new PointsweepError(ErrorCodes.verificationFailed, 'this verification is already used');
    }
    return this.verified(confirmed.personId, ctx.acceptedAt);
  }
}

type CarrierConfirmation = Awaited<ReturnType<typeof callJson<{ ci?: string; code?: string; message?: string }>>>;

/** TypeORM answers an UPDATE with [rows, affected]. */
function affected(result: unknown): number {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[1];
  return Array.isArray(result) ? result.length : 0;
}
