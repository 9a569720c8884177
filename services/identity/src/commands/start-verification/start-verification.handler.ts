import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { ErrorCodes, PointsweepError, StartIdentityVerification, VerificationStarted } from '@pointsweep/contracts';
import { callJson, CALLS_OUT, MessageContext, Sealer, SERVICE_CONFIG, ServiceConfig } from '@pointsweep/messaging';

@Controller()
export class StartVerificationHandler {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    private readonly sealer: Sealer,
  ) {}

  /** Asks the mobile carrier to send a one-time code; remembers who is being verified, sealed. */
  @MessagePattern(StartIdentityVerification.name, CALLS_OUT)
  async handle(@Payload() command: StartIdentityVerification, @Ctx() ctx: MessageContext): Promise<VerificationStarted> {
    const response = await callJson<{ transactionId: string; expiresAt: string; code?: string; message?: string }>(
      `${this.config.simulatorsUrl}/carrier/verifications`,
      { body: { name: command.name, birthDate: command.birthDate, carrier: command.carrier, phone: command.phone } },
    );
    if (response.status >= 500) throw new PointsweepError('CARRIER_UNAVAILABLE', 'the mobile carrier did not answer', true);
    if (response.status !== 201 && response.status !== 200) {
      throw new PointsweepError(ErrorCodes.verificationFailed, `the carrier refused the verification: ${response.body?.code ?? response.status}`);
    }
    const id = randomUUID();
    const identity = { name: command.name, birthDate: command.birthDate, carrier: command.carrier, phone: command.phone };
    await ctx.tx.query(
      `INSERT INTO verifications (id, carrier_transaction_id, sealed_identity, status, created_at, expires_at)
       VALUES ($1, $2, $3, 'PENDING', $4, $5)`,
      [id, response.body.transactionId, this.sealer.seal(JSON.stringify(identity)), ctx.acceptedAt, response.body.expiresAt],
    );
    return { verificationId: id, expiresAt: response.body.expiresAt };
  }
}
