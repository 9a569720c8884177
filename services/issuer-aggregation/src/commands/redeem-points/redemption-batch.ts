import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, EntityManager } from 'typeorm';
import {
  ErrorCodes, IssuerCode, messageDefinition, PointsRedeemed, PointsRedemptionFailed, PointsweepError, programDefinition, RedeemPoints,
} from '@pointsweep/contracts';
import { DeferredWork, MessageContext, MessagingRuntime } from '@pointsweep/messaging';
import { RedemptionRequest } from '../../connectors/issuer-connector';
import { IssuerGateway } from '../../resilience/issuer-gateway';
import type { IssuerSettings } from '../../settings';
import { AttemptOutcome, classifyAttempt, classifyInquiry, KEY_REUSED, settleRedemption, Settlement } from './settle-redemption';

export interface RedemptionDeps {
  gateway: IssuerGateway;
  settings: IssuerSettings;
  runtime: MessagingRuntime;
  dataSource: DataSource;
}

interface Pending {
  command: RedeemPoints;
  issuer: IssuerCode;
  ctx: MessageContext;
}

interface Known {
  done: { part_id: string; person_id: string; program: string; points: string; issuer_transaction_id: string } | null;
  consent: { ci: string; revoked_at: string | null } | null;
  attempted: boolean;
}

/**
 * The redemptions of one transaction (a group of RedeemPoints from one partition), done together when its handlers
 * have run: what is known of them read in one statement, the attempts recorded in one (committed on their own,
 * before anything is sent), the card-company calls side by side, and the redemptions recorded in one insert in the
 * group's transaction with the events. One at a time, each was seven statements and a transaction of its own.
 * An outcome that cannot be settled in time fails the whole group as retriable: the transport then runs each alone,
 * where it is retried and finally dead-lettered, never guessed (the calls repeat under the same idempotency keys).
 */
export class RedemptionBatch implements DeferredWork {
  private pending: Pending[] = [];

  private constructor(
    private readonly tx: EntityManager,
    private readonly deps: RedemptionDeps,
  ) {}

  static of(ctx: MessageContext, deps: RedemptionDeps): RedemptionBatch {
    return ctx.work.get('issuer-aggregation.redemptions', () => new RedemptionBatch(ctx.tx, deps));
  }

  add(command: RedeemPoints, ctx: MessageContext): void {
    const def = programDefinition(command.program);
    if (!def) throw new PointsweepError(ErrorCodes.invalidMessage, `unknown program ${command.program}`);
    this.pending.push({ command, issuer: def.issuer, ctx });
  }

  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const known = await this.readKnown(batch);
    const toSend: { p: Pending; consent: NonNullable<Known['consent']>; revoked: boolean }[] = [];
    batch.forEach((p, i) => {
      const { done, consent, attempted } = known[i];
      const { command } = p;
      if (done) {
        if (done.part_id === command.partId && done.person_id === command.personId && done.program === command.program && Number(done.points) === command.points) {
          // A re-sent command: tell the saga again; it ignores what it already knows.
          this.log(p).info('redemption already done; repeating its event', { issuerTransactionId: done.issuer_transaction_id });
          this.redeemed(p, done.issuer_transaction_id);
        } else {
          this.failed(p, KEY_REUSED, 'this idempotency key was already used for another redemption');
        }
        return;
      }
      const revoked = consent !== null && consent.revoked_at !== null;
      // A revoked consent allows no new redemption; but one an earlier run may already have sent must still be
      // settled (asked about, never sent again), or points the card company took would go unaccounted for.
      if (consent === null || (revoked && !attempted)) {
        this.failed(p, ErrorCodes.noConsent, `the person has not consented to queries of ${p.issuer}`);
        return;
      }
      toSend.push({ p, consent, revoked });
    });
    if (toSend.length === 0) return;

    const reachedBefore = await this.recordAttempts(toSend.map((s) => s.p));
    const settlements = await Promise.all(toSend.map((s) => this.settle(s.p, s.consent.ci, s.revoked, reachedBefore.has(s.p.command.idempotencyKey))));
    const unsettled = settlements.flatMap((settlement, i) => (settlement.kind === 'unsettled' ? [{ p: toSend[i].p, reason: settlement.reason }] : []));
    if (unsettled.length > 0) {
      for (const u of unsettled) this.log(u.p).warn('redemption outcome unknown; leaving it to a retry', { issuer: u.p.issuer, reason: u.reason });
      const first = unsettled[0];
      throw new PointsweepError('REDEMPTION_OUTCOME_UNKNOWN', `${first.p.issuer}: ${first.reason}`, true);
    }
    const redeemed: { p: Pending; transactionId: string }[] = [];
    settlements.forEach((settlement, i) => {
      const { p } = toSend[i];
      switch (settlement.kind) {
        case 'redeemed':
          redeemed.push({ p, transactionId: settlement.receipt.transactionId });
          return;
        case 'failed':
          this.log(p).warn('redemption failed', { issuer: p.issuer, failureCode: settlement.code, reason: settlement.reason });
          this.failed(p, settlement.code, settlement.reason);
          return;
        case 'unsettled':
          return;
        default: {
          const unexpected: never = settlement;
          throw new Error(`unknown settlement ${JSON.stringify(unexpected)}`);
        }
      }
    });
    await this.record(redeemed);
    for (const { p, transactionId } of redeemed) {
      this.log(p).info('points redeemed', { issuer: p.issuer, points: p.command.points, issuerTransactionId: transactionId });
      this.redeemed(p, transactionId);
    }
  }

  private async readKnown(batch: Pending[]): Promise<Known[]> {
    const rows: (Known & { n: number })[] = await this.tx.query(
      `SELECT c.n::int AS n,
         (SELECT row_to_json(r) FROM (SELECT part_id, person_id, program, points::text AS points, issuer_transaction_id FROM redemptions WHERE idempotency_key = c.key) r) AS done,
         (SELECT row_to_json(k) FROM (SELECT ci, revoked_at FROM consents WHERE person_id = c.person_id AND issuer = c.issuer) k) AS consent,
         EXISTS (SELECT 1 FROM redemption_attempts WHERE idempotency_key = c.key) AS attempted
       FROM unnest($1::text[], $2::uuid[], $3::text[]) WITH ORDINALITY AS c(key, person_id, issuer, n)`,
      [batch.map((p) => p.command.idempotencyKey), batch.map((p) => p.command.personId), batch.map((p) => p.issuer)],
    );
    const byIndex = new Map(rows.map((r) => [r.n - 1, r]));
    return batch.map((_, i) => byIndex.get(i)!);
  }

  /**
   * Committed on their own, before anything is sent, so they survive the group's rollback or a crash. Returns the
   * keys an earlier run already got this far with (and so may have reached the card company).
   */
  private async recordAttempts(batch: Pending[]): Promise<Set<string>> {
    const keys = batch.map((p) => p.command.idempotencyKey);
    const inserted: { idempotency_key: string }[] = await this.deps.dataSource.query(
      `INSERT INTO redemption_attempts (idempotency_key, part_id, first_attempt_at)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::timestamptz[])
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key`,
      [keys, batch.map((p) => p.command.partId), batch.map((p) => p.ctx.acceptedAt)],
    );
    const fresh = new Set(inserted.map((r) => r.idempotency_key));
    return new Set(keys.filter((k) => !fresh.has(k)));
  }

  private settle(p: Pending, ci: string, revoked: boolean, mayHaveReachedBefore: boolean): Promise<Settlement> {
    const { gateway, settings } = this.deps;
    const request: RedemptionRequest = { idempotencyKey: p.command.idempotencyKey, ci, program: p.command.program, points: p.command.points };
    const consentRevoked: AttemptOutcome = { kind: 'refused', code: ErrorCodes.noConsent, reason: `consent to ${p.issuer} was revoked before the redemption was done` };
    return settleRedemption(
      {
        attempt: revoked
          ? async () => consentRevoked
          : () => gateway.redeem(p.issuer, request).then(
            (receipt) => classifyAttempt(request, { receipt }),
            (error: unknown) => classifyAttempt(request, { error }),
          ),
        inquire: () => gateway.findRedemption(p.issuer, request.idempotencyKey).then(
          (receipt) => classifyInquiry(request, { receipt }),
          (error: unknown) => classifyInquiry(request, { error }),
        ),
        sleep: (ms) => sleep(ms),
        now: () => performance.now(),
      },
      {
        deadlineMs: settings.redemptionSettleMs,
        backoffInitialMs: settings.redemptionBackoffInitialMs,
        backoffMaxMs: settings.redemptionBackoffMaxMs,
        mayHaveReachedBefore,
      },
    );
  }

  private async record(redeemed: { p: Pending; transactionId: string }[]): Promise<void> {
    if (redeemed.length === 0) return;
    const at = (r: { p: Pending }) => r.p.ctx.acceptedAt;
    await this.tx.query(
      `INSERT INTO redemptions (idempotency_key, part_id, person_id, issuer, program, points, issuer_transaction_id, redeemed_at)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::timestamptz[])
       ON CONFLICT (idempotency_key) DO NOTHING`,
      [
        redeemed.map((r) => r.p.command.idempotencyKey), redeemed.map((r) => r.p.command.partId), redeemed.map((r) => r.p.command.personId),
        redeemed.map((r) => r.p.issuer), redeemed.map((r) => r.p.command.program), redeemed.map((r) => r.p.command.points),
        redeemed.map((r) => r.transactionId), redeemed.map(at),
      ],
    );
  }

  private log(p: Pending) {
    return this.deps.runtime.logFor(p.ctx.envelope).child({ partId: p.command.partId, program: p.command.program });
  }

  private redeemed(p: Pending, issuerTransactionId: string): void {
    const event: PointsRedeemed = { partId: p.command.partId, program: p.command.program, points: p.command.points, issuerTransactionId };
    p.ctx.emit(messageDefinition(PointsRedeemed.name)!, event, p.command.personId);
  }

  private failed(p: Pending, code: string, reason: string): void {
    const event: PointsRedemptionFailed = { partId: p.command.partId, code: code.slice(0, 64), reason: reason.slice(0, 500) };
    p.ctx.emit(messageDefinition(PointsRedemptionFailed.name)!, event, p.command.personId);
  }
}
