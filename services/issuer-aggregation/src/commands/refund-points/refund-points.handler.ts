import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import { ErrorCodes, IssuerCode, messageDefinition, PointsRefunded, PointsweepError, programDefinition, RefundPoints } from '@pointsweep/contracts';
import { CALLS_OUT, JsonLogger, MessageContext, MessagingRuntime } from '@pointsweep/messaging';
import { RefundRequest } from '../../connectors/issuer-connector';
import { describeError } from '../../log-fields';
import { IssuerGateway } from '../../resilience/issuer-gateway';
import { ISSUER_SETTINGS } from '../../settings';
import type { IssuerSettings } from '../../settings';
import { classifyRefundAttempt, classifyRefundInquiry, REFUND_KEY_REUSED, sameRefund, settleRefund } from './settle-refund';

interface RefundRow {
  part_id: string;
  person_id: string;
  program: string;
  points: string;
  redemption_transaction_id: string;
  status: 'ATTEMPTED' | 'REFUNDED' | 'REFUSED';
  refund_id: string | null;
}

/** Hands the card company's points back after a payout failed for good. Refunds retry until they succeed. */
@Controller()
export class RefundPointsHandler {
  constructor(
    @Inject(IssuerGateway) private readonly gateway: IssuerGateway,
    @Inject(ISSUER_SETTINGS) private readonly settings: IssuerSettings,
    private readonly runtime: MessagingRuntime,
    private readonly dataSource: DataSource,
  ) {}

  /**
   * Sent by the cash-out saga (and re-sent by its watchdog with the same idempotency key). Ends in PointsRefunded.
   * While the card company is down, or the outcome is unknown, it throws a retriable error: the transport retries,
   * and a later run asks the card company before sending again. A definitive refusal (REDEMPTION_NOT_FOUND,
   * REFUND_EXCEEDS_REDEMPTION, IDEMPOTENCY_KEY_REUSED) throws a non-retriable error, so the command goes to the
   * dead-letter topic with that reason, visible to operators, and the part stays refunding for the ledger's review.
   * The refund uses the stored ci even when the consent has since been revoked: the points must come back.
   */
  @MessagePattern(RefundPoints.name, CALLS_OUT)
  async handle(@Payload() command: RefundPoints, @Ctx() ctx: MessageContext): Promise<void> {
    const log = this.runtime.logFor(ctx.envelope).child({ partId: command.partId, program: command.program });
    const def = programDefinition(command.program);
    if (!def) throw new PointsweepError(ErrorCodes.invalidMessage, `unknown program ${command.program}`);
    const issuer: IssuerCode = def.issuer;

    const stored: RefundRow[] = await ctx.tx.query(
      `SELECT part_id, person_id, program, points, redemption_transaction_id, status, refund_id FROM refunds WHERE idempotency_key = $1`,
      [command.idempotencyKey],
    );
    if (stored.length > 0) {
      const row = stored[0];
      const same = sameRefund(
        { partId: row.part_id, personId: row.person_id, program: row.program, points: Number(row.points), redemptionTransactionId: row.redemption_transaction_id },
        command,
      );
      if (!same) throw this.refusal(log, issuer, REFUND_KEY_REUSED, 'this idempotency key was already used for another refund');
      if (row.status === 'REFUNDED' && row.refund_id) {
        // A re-sent command: tell the saga again; it ignores what it already knows.
        log.info('refund already done; repeating its event', { refundId: row.refund_id });
        this.refunded(ctx, command, row.refund_id);
        return;
      }
    }

    // Revoked or not: a revoked consent keeps the ci the card company knows the person by.
    const consent: { ci: string }[] = await ctx.tx.query(`SELECT ci FROM consents WHERE person_id = $1 AND issuer = $2`, [command.personId, issuer]);
    if (consent.length === 0) {
      throw this.refusal(log, issuer, ErrorCodes.noConsent, `no ci is known for the person at ${issuer}; the points cannot be refunded`);
    }

    const mayHaveReachedBefore = stored.length > 0;
    if (!mayHaveReachedBefore && !(await this.recordAttempt(command, issuer, ctx.acceptedAt))) {
      // Another run of the same refund got here first (it was not visible when we looked): let a retry settle it.
      throw new PointsweepError('REFUND_IN_PROGRESS', `a refund under key ${command.idempotencyKey} is already being made`, true);
    }

    const request: RefundRequest = {
      idempotencyKey: command.idempotencyKey,
      ci: consent[0].ci,
      program: command.program,
      points: command.points,
      redemptionTransactionId: command.redemptionTransactionId,
    };
    const settlement = await settleRefund(
      {
        attempt: () => this.gateway.refund(issuer, request).then(
          (receipt) => classifyRefundAttempt(request, { receipt }),
          (error: unknown) => classifyRefundAttempt(request, { error }),
        ),
        inquire: () => this.gateway.findRefund(issuer, request.idempotencyKey).then(
          (receipt) => classifyRefundInquiry(request, { receipt }),
          (error: unknown) => classifyRefundInquiry(request, { error }),
        ),
        sleep: (ms) => sleep(ms),
        now: () => performance.now(),
      },
      {
        deadlineMs: this.settings.refundSettleMs,
        backoffInitialMs: this.settings.redemptionBackoffInitialMs,
        backoffMaxMs: this.settings.redemptionBackoffMaxMs,
        mayHaveReachedBefore,
      },
    );

    switch (settlement.kind) {
      case 'refunded':
        await ctx.tx.query(
          `UPDATE refunds SET status = 'REFUNDED', refund_id = $2, settled_at = $3, failure_code = NULL, failure_reason = NULL
           WHERE idempotency_key = $1`,
          [command.idempotencyKey, settlement.receipt.refundId, ctx.acceptedAt],
        );
        log.info('points refunded', { issuer, points: command.points, refundId: settlement.receipt.refundId });
        this.refunded(ctx, command, settlement.receipt.refundId);
        return;
      case 'refused':
        await this.recordRefusal(log, command, settlement.code, settlement.reason, ctx.acceptedAt);
        throw this.refusal(log, issuer, settlement.code, settlement.reason);
      case 'pending':
        log.warn('refund not settled yet; leaving it to a retry', { issuer, errorCode: settlement.code, reason: settlement.reason });
        throw new PointsweepError(settlement.code, `${issuer}: ${settlement.reason}`, true);
      default: {
        const unexpected: never = settlement;
        throw new Error(`unknown refund settlement ${JSON.stringify(unexpected)}`);
      }
    }
  }

  /**
   * Committed on its own before anything is sent, so it survives this handler's rollback or a crash: a later run
   * (a retry, or the watchdog's re-send) knows an earlier one may have reached the card company and asks first.
   * Returns false when the row already exists.
   */
  private async recordAttempt(command: RefundPoints, issuer: IssuerCode, at: Date): Promise<boolean> {
    const inserted: unknown[] = await this.dataSource.query(
      `INSERT INTO refunds (idempotency_key, part_id, person_id, issuer, program, points, redemption_transaction_id, status, first_attempt_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'ATTEMPTED', $8)
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key`,
      [command.idempotencyKey, command.partId, command.personId, issuer, command.program, command.points, command.redemptionTransactionId, at],
    );
    return inserted.length > 0;
  }

  /** Outside the handler's transaction (which the refusal rolls back), so operators see why in the refunds table. */
  private async recordRefusal(log: JsonLogger, command: RefundPoints, code: string, reason: string, at: Date): Promise<void> {
    try {
      await this.dataSource.query(
        `UPDATE refunds SET status = 'REFUSED', failure_code = $2, failure_reason = $3, settled_at = $4
         WHERE idempotency_key = $1 AND status <> 'REFUNDED'`,
        [command.idempotencyKey, code.slice(0, 64), reason.slice(0, 500), at],
      );
    } catch (error) {
      log.error('could not record the refund refusal', describeError(error));
    }
  }

  /** A definitive no: logged as an error, and thrown non-retriable so the command is dead-lettered with its reason. */
  private refusal(log: JsonLogger, issuer: IssuerCode, code: string, reason: string): PointsweepError {
    log.error('refund refused for good; dead-lettering the command', { issuer, errorCode: code, reason });
    return new PointsweepError(code.slice(0, 64), `refund refused: ${reason}`.slice(0, 500), false);
  }

  private refunded(ctx: MessageContext, command: RefundPoints, refundId: string): void {
    const event: PointsRefunded = { partId: command.partId, program: command.program, points: command.points, refundId };
    ctx.emit(messageDefinition(PointsRefunded.name)!, event, command.personId);
  }
}
