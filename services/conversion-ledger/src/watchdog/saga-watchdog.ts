import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { messageDefinition, RedeemPoints, RefundPoints } from '@pointsweep/contracts';
import { buildEnvelope, Clock, CLOCK, MessagingRuntime, PollingLoop, TransactionWork, writeToOutbox } from '@pointsweep/messaging';
import { EntityManager } from 'typeorm';
import { redeemFor } from '../commands/cash-out/accept-cash-out';
import { refundFor } from '../events/refund-points-when-payout-failed/refund-points-when-payout-failed.handler';
import { transitionPart } from '../events/part-transition';
import { nextWatchdogAction, WatchdogPolicy, watchdogPolicyFromEnv } from './watchdog-policy';

interface OpenPart {
  id: string;
  person_id: string;
  program: string;
  points_consumed: string;
  state: 'REDEEMING' | 'PAYING' | 'REFUNDING';
  nudges: number;
  updated_at: Date;
  issuer_transaction_id: string | null;
  correlation_id: string | null;
}

/**
 * Drives parts past their deadline so every request reaches a terminal state: re-sends a redemption or refund
 * (both idempotent at the card company), and sends what no rule settles to MANUAL_REVIEW. One instance at a time.
 */
@Injectable()
export class SagaWatchdog implements OnModuleInit, OnModuleDestroy {
  private readonly loop: PollingLoop;
  private readonly policy: WatchdogPolicy = watchdogPolicyFromEnv(process.env);

  constructor(
    private readonly runtime: MessagingRuntime,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.loop = new PollingLoop('saga watchdog', () => this.runOnce(), runtime.logger.child({ component: 'watchdog' }), this.policy.pollMs);
  }

  onModuleInit(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
  }

  /** One sweep; returns true when a full batch was handled (there may be more). */
  async runOnce(): Promise<boolean> {
    const now = this.clock.now();
    const handled = await this.runtime.dataSource.transaction(async (tx) => {
      const [{ locked }] = await tx.query(`SELECT pg_try_advisory_xact_lock(hashtext('ledger.watchdog')) AS locked`);
      if (!locked) return 0;
      const parts: OpenPart[] = await tx.query(
        `SELECT p.id, p.person_id, p.program, p.points_consumed, p.state, p.nudges, p.updated_at, p.issuer_transaction_id, c.correlation_id
           FROM cash_out_parts p JOIN cash_outs c ON c.id = p.cash_out_id
          WHERE p.state IN ('REDEEMING', 'PAYING', 'REFUNDING') AND p.updated_at < $1
          ORDER BY p.updated_at LIMIT $2 FOR UPDATE OF p SKIP LOCKED`,
        [new Date(now.getTime() - this.policy.nudgeAfterMs), this.policy.batchSize],
      );
      // One deferred flush for the sweep: the cash-outs it resolves are locked in one statement, in id order, like
      // every consumer transaction's, never one at a time between part locks (that could deadlock with them).
      const work = new TransactionWork();
      for (const part of parts) await this.drive(tx, work, part, now);
      await work.flush();
      await writeToOutbox(tx, work.pending, { last: true });
      return parts.length;
    });
    if (handled > 0) this.runtime.relay.kick();
    return handled >= this.policy.batchSize;
  }

  private async drive(tx: EntityManager, work: TransactionWork, part: OpenPart, now: Date): Promise<void> {
    const action = nextWatchdogAction({ state: part.state, nudges: part.nudges, idleMs: now.getTime() - new Date(part.updated_at).getTime() }, this.policy);
    const log = this.runtime.logger.child({ component: 'watchdog', partId: part.id, correlationId: part.correlation_id, state: part.state });
    switch (action.type) {
      case 'Wait':
        return;
      case 'ResendRedemption':
      case 'ResendRefund': {
        const points = Number(part.points_consumed);
        const [definition, payload] = action.type === 'ResendRedemption'
          ? [messageDefinition(RedeemPoints.name)!, redeemFor(part.id, part.person_id, part.program, points)]
          : [messageDefinition(RefundPoints.name)!, refundFor(part.id, part.person_id, part.program, points, part.issuer_transaction_id!)];
        await writeToOutbox(tx, [{
          topic: this.runtime.topics[definition.topic],
          envelope: buildEnvelope(definition, payload, { key: part.person_id, correlationId: part.correlation_id ?? undefined, occurredAt: now }),
        }]);
        await tx.query(`UPDATE cash_out_parts SET nudges = nudges + 1, updated_at = $2 WHERE id = $1`, [part.id, now]);
        log.warn('part past its deadline; re-sent its command', { action: action.type, nudges: part.nudges + 1 });
        return;
      }
      case 'SendToManualReview': {
        await transitionPart({ tx, work }, part.id, { type: 'PartNeedsReview', reason: action.reason }, now);
        log.error('part sent to manual review', { reason: action.reason });
        return;
      }
      default: {
        const unexpected: never = action;
        throw new Error(`unknown watchdog action ${JSON.stringify(unexpected)}`);
      }
    }
  }
}
