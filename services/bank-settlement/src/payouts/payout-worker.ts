import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { CLOCK, crashPoint, JsonLogger, MessagingRuntime, PollingLoop, Sealer } from '@pointsweep/messaging';
import type { Clock } from '@pointsweep/messaging';
import { BankClient } from './bank-client';
import { BankOutcome, decide, escalate, planCall } from './payout-decision';
import type { PayoutPolicy } from './payout-decision';
import { PAYOUT_POLICY } from './payout-policy';
import { bankClosedFor, workingElapsedMs } from './payout-schedule';
import { ClaimedPayout, PayoutOutcome, PayoutStore, Recorded } from './payout-store';

const POLL_MS = 200;
/** Payouts claimed, called side by side and recorded in one statement, per round. */
const BATCH_SIZE = 32;

/**
 * Drives PENDING and UNKNOWN payouts to an end. The bank is called outside any transaction: claim (lease),
 * call, then record the outcome and its event together. The transfer id was stored before the first call,
 * so a crash anywhere in between only leads to an inquiry or a same-id resend, never a second payment.
 * While a maintenance window is open (by the injected clock) the bank is not called: payouts stay queued and go
 * when it ends, and the time spent waiting does not count against their deadline.
 */
@Injectable()
export class PayoutWorker implements OnModuleInit, OnModuleDestroy {
  private readonly store: PayoutStore;
  private readonly logger: JsonLogger;
  private readonly loop: PollingLoop;
  /** The end of the maintenance window the worker last saw open, for logging its start and end once. */
  private maintenanceUntil?: Date;

  constructor(
    private readonly runtime: MessagingRuntime,
    private readonly bank: BankClient,
    private readonly sealer: Sealer,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PAYOUT_POLICY) private readonly policy: PayoutPolicy,
  ) {
    this.store = new PayoutStore(runtime.dataSource, runtime.topics);
    this.logger = runtime.logger.child({ component: 'payout-worker' });
    this.loop = new PollingLoop('payout worker tick', async () => (await this.runOnce()) >= BATCH_SIZE, this.logger, POLL_MS);
  }

  onModuleInit(): void {
    this.runtime.readinessChecks.set('payouts', async () => ({
      ok: true, // a stuck payout is an operator's matter, not a reason to take the service out of rotation
      detail: { byStatus: await this.store.countByStatus(), lastError: this.loop.lastError, maintenanceUntil: this.maintenanceUntil?.toISOString() },
    }));
    this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Look for due payouts now rather than at the next poll (e.g. right after a RequestPayout commits). */
  kick(): void {
    this.loop.kick();
  }

  /** Claims one batch, calls the bank for each side by side, records every outcome at once; returns how many it claimed. */
  async runOnce(): Promise<number> {
    if (this.inMaintenance()) return 0;
    const claimed = await this.store.claimDue(BATCH_SIZE, this.policy.leaseMs);
    const now = this.clock.now();
    const outcomes = (await Promise.all(claimed.map((payout) => this.callBank({ ...payout, elapsedMs: workingElapsedMs(payout.elapsedMs, now) }))))
      .filter((o): o is PayoutOutcome => o !== undefined);
    if (outcomes.length === 0) return claimed.length;
    let recorded: (Recorded | undefined)[];
    try {
      recorded = await this.store.recordAll(outcomes, this.clock.now());
    } catch (error) {
      // One bad outcome must not cost the others theirs (a completed transfer would wait for its lease to expire).
      this.logger.warn('payout outcomes not recorded together; recording them one by one', { error, payouts: outcomes.length });
      recorded = [];
      for (const outcome of outcomes) {
        recorded.push(await this.store.recordAll([outcome], this.clock.now()).then(([one]) => one, (oneError: unknown) => {
          this.logFor(outcome.payout).error('payout outcome not recorded; its lease will expire and it will be retried', { error: oneError });
          return undefined;
        }));
      }
    }
    if (recorded.some((r) => r?.applied)) this.runtime.relay.kick();
    outcomes.forEach((o, i) => {
      const r = recorded[i];
      if (r) this.logRecorded(o, r);
    });
    return claimed.length;
  }

  /** Whether a maintenance window is open now; logs when one opens and when it has ended. */
  private inMaintenance(): boolean {
    const window = bankClosedFor(this.clock.now());
    if (window) {
      if (this.maintenanceUntil?.getTime() !== window.endsAt.getTime()) {
        this.logger.info('maintenance window open; payouts stay queued until it ends', { kind: window.kind, endsAt: window.endsAt.toISOString() });
      }
      this.maintenanceUntil = window.endsAt;
      return true;
    }
    if (this.maintenanceUntil) {
      this.logger.info('maintenance window over; calling the bank again', { endedAt: this.maintenanceUntil.toISOString() });
      this.maintenanceUntil = undefined;
    }
    return false;
  }

  /** One payout: plan and call the bank (no transaction open). Undefined when it was given back or the call failed. */
  private async callBank(payout: ClaimedPayout): Promise<PayoutOutcome | undefined> {
    try {
      const plan = planCall(payout, this.policy);
      if (plan !== 'ESCALATE' && bankClosedFor(this.clock.now())) {
        // A window opened between the claim and the call: give the payout back, it goes when the window ends.
        await this.store.releaseLease(payout);
        return undefined;
      }
      if (plan === 'ESCALATE') return { payout, call: undefined, outcome: undefined, decision: escalate(payout, this.policy) };
      const outcome: BankOutcome = plan === 'TRANSFER'
        ? await this.bank.transfer({
          transactionId: payout.bankTransactionId,
          transferDate: payout.transferDate,
          bankCode: payout.bankCode,
          accountNumber: this.sealer.open(payout.sealedAccountNumber), // in memory for the call only; never logged
          amountWon: payout.amountWon,
        })
        : await this.bank.inquire(payout.transferDate, payout.bankTransactionId);
      crashPoint('payout-after-bank-call');
      return { payout, call: plan, outcome, decision: decide(payout, outcome, this.policy, this.clock.now()) };
    } catch (error) {
      this.logFor(payout).error('payout attempt failed; its lease will expire and it will be retried', { error });
      return undefined;
    }
  }

  private logRecorded({ payout, call, outcome, decision }: PayoutOutcome, recorded: Recorded): void {
    const log = this.logFor(payout);
    const fields = {
      call: call ?? 'ESCALATE',
      outcome: outcome?.type,
      responseCode: outcome && 'responseCode' in outcome ? outcome.responseCode : undefined,
      decision: decision.type,
      // not "code": the logger masks that key (one-time codes)
      failureCode: decision.type === 'MarkFailed' ? decision.code : undefined,
      reason: 'reason' in decision ? decision.reason : undefined,
      delayMs: 'delayMs' in decision ? decision.delayMs : undefined,
      attempts: payout.attempts + (call ? 1 : 0),
      newBankTransactionId: recorded.newBankTransactionId,
    };
    if (!recorded.applied) {
      log.warn('payout lease lost before recording; the next holder will ask the bank again', fields);
      return;
    }
    switch (decision.type) {
      case 'MarkPaid':
        log.info('payout paid', fields);
        break;
      case 'MarkFailed':
        log.warn('payout failed for good', fields);
        break;
      case 'EscalateToManualReview':
        log.error('payout needs manual review', fields);
        break;
      case 'ResendSameId':
        log.info('transfer never reached the bank; resending with the same id', fields);
        this.kick();
        break;
      default:
        log.info('payout not settled yet; will try again', fields);
    }
  }

  private logFor(payout: ClaimedPayout): JsonLogger {
    return this.logger.child({
      correlationId: payout.correlationId,
      partId: payout.partId,
      transferDate: payout.transferDate,
      bankTransactionId: payout.bankTransactionId,
    });
  }
}
