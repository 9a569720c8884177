import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import {
  ErrorCodes, IssuerCode, messageDefinition, PointsRedeemed, PointsRedemptionFailed, PointsweepError, programDefinition, RedeemPoints,
} from '@pointsweep/contracts';
import { CALLS_OUT, MessageContext, MessagingRuntime } from '@pointsweep/messaging';
import { RedemptionReceipt, RedemptionRequest } from '../../connectors/issuer-connector';
import { IssuerGateway } from '../../resilience/issuer-gateway';
import { ISSUER_SETTINGS } from '../../settings';
import type { IssuerSettings } from '../../settings';
import { AttemptOutcome, classifyAttempt, classifyInquiry, KEY_REUSED, settleRedemption } from './settle-redemption';

interface RedemptionRow {
  part_id: string;
  person_id: string;
  program: string;
  points: string;
  issuer_transaction_id: string;
}

@Controller()
export class RedeemPointsHandler {
  constructor(
    @Inject(IssuerGateway) private readonly gateway: IssuerGateway,
    @Inject(ISSUER_SETTINGS) private readonly settings: IssuerSettings,
    private readonly runtime: MessagingRuntime,
    private readonly dataSource: DataSource,
  ) {}

  /**
   * Sent by the cash-out saga. Ends in PointsRedeemed or PointsRedemptionFailed; an outcome that cannot
   * be settled in time is thrown as retriable, so the transport retries and finally dead-letters it, never guesses.
   */
  @MessagePattern(RedeemPoints.name, CALLS_OUT)
  async handle(@Payload() command: RedeemPoints, @Ctx() ctx: MessageContext): Promise<void> {
    const log = this.runtime.logFor(ctx.envelope).child({ partId: command.partId, program: command.program });
    const def = programDefinition(command.program);
    if (!def) throw new PointsweepError(ErrorCodes.invalidMessage, `unknown program ${command.program}`);
    const issuer: IssuerCode = def.issuer;

    // One round trip for the three reads (each is a socket write that wakes a database backend; docs/benchmarks.md).
    const [{ done, consent, attempted }]: { done: RedemptionRow | null; consent: { ci: string; revoked_at: string | null } | null; attempted: boolean }[] = await ctx.tx.query(
      `SELECT
         (SELECT row_to_json(r) FROM (SELECT part_id, person_id, program, points::text AS points, issuer_transaction_id FROM redemptions WHERE idempotency_key = $1) r) AS done,
         (SELECT row_to_json(c) FROM (SELECT ci, revoked_at FROM consents WHERE person_id = $2 AND issuer = $3) c) AS consent,
         EXISTS (SELECT 1 FROM redemption_attempts WHERE idempotency_key = $1) AS attempted`,
      [command.idempotencyKey, command.personId, issuer],
    );
    if (done) {
      if (done.part_id === command.partId && done.person_id === command.personId && done.program === command.program && Number(done.points) === command.points) {
        // A re-sent command: tell the saga again; it ignores what it already knows.
        log.info('redemption already done; repeating its event', { issuerTransactionId: done.issuer_transaction_id });
        this.redeemed(ctx, command, done.issuer_transaction_id);
      } else {
        this.failed(ctx, command, KEY_REUSED, 'this idempotency key was already used for another redemption');
      }
      return;
    }

    const revoked = consent !== null && consent.revoked_at !== null;
    // A revoked consent allows no new redemption; but one an earlier run may already have sent must still be
    // settled (asked about, never sent again), or points the card company took would go unaccounted for.
    if (consent === null || (revoked && !attempted)) {
      this.failed(ctx, command, ErrorCodes.noConsent, `the person has not consented to queries of ${issuer}`);
      return;
    }

    const request: RedemptionRequest = { idempotencyKey: command.idempotencyKey, ci: consent.ci, program: command.program, points: command.points };
    const mayHaveReachedBefore = await this.recordAttempt(command, ctx.acceptedAt);
    const consentRevoked: AttemptOutcome = { kind: 'refused', code: ErrorCodes.noConsent, reason: `consent to ${issuer} was revoked before the redemption was done` };
    const settlement = await settleRedemption(
      {
        attempt: revoked
          ? async () => consentRevoked
          : () => this.gateway.redeem(issuer, request).then(
            (receipt) => classifyAttempt(request, { receipt }),
            (error: unknown) => classifyAttempt(request, { error }),
          ),
        inquire: () => this.gateway.findRedemption(issuer, request.idempotencyKey).then(
          (receipt) => classifyInquiry(request, { receipt }),
          (error: unknown) => classifyInquiry(request, { error }),
        ),
        sleep: (ms) => sleep(ms),
        now: () => performance.now(),
      },
      {
        deadlineMs: this.settings.redemptionSettleMs,
        backoffInitialMs: this.settings.redemptionBackoffInitialMs,
        backoffMaxMs: this.settings.redemptionBackoffMaxMs,
        mayHaveReachedBefore,
      },
    );

    switch (settlement.kind) {
      case 'redeemed':
        await this.record(ctx, command, issuer, settlement.receipt);
        log.info('points redeemed', { issuer, points: command.points, issuerTransactionId: settlement.receipt.transactionId });
        this.redeemed(ctx, command, settlement.receipt.transactionId);
        return;
      case 'failed':
        log.warn('redemption failed', { issuer, failureCode: settlement.code, reason: settlement.reason });
        this.failed(ctx, command, settlement.code, settlement.reason);
        return;
      case 'unsettled':
        log.warn('redemption outcome unknown; leaving it to a retry', { issuer, reason: settlement.reason });
        throw new PointsweepError('REDEMPTION_OUTCOME_UNKNOWN', `${issuer}: ${settlement.reason}`, true);
      default: {
        const unexpected: never = settlement;
        throw new Error(`unknown settlement ${JSON.stringify(unexpected)}`);
      }
    }
  }

  /**
   * Committed on its own, before anything is sent, so it survives this handler's rollback or a crash.
   * Returns true when an earlier run already got this far (and so may have reached the card company).
   */
  private async recordAttempt(command: RedeemPoints, at: Date): Promise<boolean> {
    const inserted: unknown[] = await this.dataSource.query(
      `INSERT INTO redemption_attempts (idempotency_key, part_id, first_attempt_at) VALUES ($1, $2, $3)
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key`,
      [command.idempotencyKey, command.partId, at],
    );
    return inserted.length === 0;
  }

  private async record(ctx: MessageContext, command: RedeemPoints, issuer: IssuerCode, receipt: RedemptionReceipt): Promise<void> {
    await ctx.tx.query(
      `INSERT INTO redemptions (idempotency_key, part_id, person_id, issuer, program, points, issuer_transaction_id, redeemed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (idempotency_key) DO NOTHING`,
      [command.idempotencyKey, command.partId, command.personId, issuer, command.program, command.points, receipt.transactionId, ctx.acceptedAt],
    );
  }

  private redeemed(ctx: MessageContext, command: RedeemPoints, issuerTransactionId: string): void {
    const event: PointsRedeemed = { partId: command.partId, program: command.program, points: command.points, issuerTransactionId };
    ctx.emit(messageDefinition(PointsRedeemed.name)!, event, command.personId);
  }

  private failed(ctx: MessageContext, command: RedeemPoints, code: string, reason: string): void {
    const event: PointsRedemptionFailed = { partId: command.partId, code: code.slice(0, 64), reason: reason.slice(0, 500) };
    ctx.emit(messageDefinition(PointsRedemptionFailed.name)!, event, command.personId);
  }
}
