import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { CashOut, ConfirmQuote } from '@pointsweep/contracts';
import { AdmissionPressure, MessagingRuntime, PollingLoop, retryAfterUnderPressure } from '@pointsweep/messaging';
import { Gauge } from 'prom-client';

/**
 * Admission for new cash-outs: how many parts may be on their way (redeeming, paying, refunding) at once. The limit
 * follows the saga's measured throughput so that, by Little's law, an accepted part waits about `targetSeconds`:
 * limit = parts finished per second × targetSeconds, never below `minOpenParts` (a cold system must be let in to be
 * measured) nor above `maxOpenParts`.
 */
export interface BackpressurePolicy {
  maxOpenParts: number;
  minOpenParts: number;
  targetSeconds: number;
  /** How far back finished parts are counted for the throughput. */
  windowMs: number;
  /** How often the open and finished parts are counted. */
  sampleMs: number;
}

export function backpressurePolicyFromEnv(env: Record<string, string | undefined>): BackpressurePolicy {
  const policy: BackpressurePolicy = {
    maxOpenParts: Number(env.LEDGER_MAX_OPEN_PARTS ?? 400),
    minOpenParts: Number(env.LEDGER_MIN_OPEN_PARTS ?? 30),
    targetSeconds: Number(env.LEDGER_TARGET_PART_SECONDS ?? 2),
    windowMs: Number(env.LEDGER_THROUGHPUT_WINDOW_MS ?? 10_000),
    sampleMs: Number(env.LEDGER_OPEN_PARTS_SAMPLE_MS ?? 1000),
  };
  const names: Record<keyof BackpressurePolicy, string> = {
    maxOpenParts: 'LEDGER_MAX_OPEN_PARTS', minOpenParts: 'LEDGER_MIN_OPEN_PARTS', targetSeconds: 'LEDGER_TARGET_PART_SECONDS',
    windowMs: 'LEDGER_THROUGHPUT_WINDOW_MS', sampleMs: 'LEDGER_OPEN_PARTS_SAMPLE_MS',
  };
  for (const key of Object.keys(names) as (keyof BackpressurePolicy)[]) {
    if (!Number.isSafeInteger(policy[key]) || policy[key] <= 0) throw new Error(`${names[key]} must be a positive integer, got ${policy[key]}`);
  }
  if (policy.minOpenParts > policy.maxOpenParts) {
    throw new Error(`LEDGER_MIN_OPEN_PARTS (${policy.minOpenParts}) must not exceed LEDGER_MAX_OPEN_PARTS (${policy.maxOpenParts})`);
  }
  return policy;
}

/** How many parts may be open, from how many finished in the last window. */
export function openPartsLimit(finishedInWindow: number, policy: BackpressurePolicy): number {
  const perSecond = finishedInWindow / (policy.windowMs / 1000);
  return Math.min(policy.maxOpenParts, Math.max(policy.minOpenParts, Math.ceil(perSecond * policy.targetSeconds)));
}

/**
 * When the saga already has as many parts on their way as it finishes in `targetSeconds`, a new cash-out would only
 * wait behind them (and push every accepted part's latency up): it is answered SERVICE_BUSY before it is taken, and
 * the person asks again after the retry-after. The backlog of accepted work stays bounded by time, not by a count
 * tuned for one machine, so latency stays near the target through a surge and is normal as soon as it ends.
 *
 * The retry-after is 1–3 s (jittered, so retries do not come back as one wave) times the pressure: how many requests
 * were turned away for each one taken in the last second. Those turned away then come back at about the rate slots
 * open, instead of asking again and again (each "busy" costs a round trip through Kafka that the saga needs).
 */
export function admissionVerdict(openParts: number, limit: number, pressure = 1, random: () => number = Math.random): { reason: string; retryAfterMs: number } | undefined {
  if (openParts < limit) return undefined;
  return {
    reason: `${openParts} cash-out parts are already on their way (at most ${limit} now)`,
    retryAfterMs: retryAfterUnderPressure(1000 + Math.floor(random() * 2000), pressure),
  };
}

@Injectable()
export class SagaBackpressure implements OnModuleInit, OnModuleDestroy {
  private readonly policy = backpressurePolicyFromEnv(process.env);
  private readonly loop: PollingLoop;
  private openParts = 0;
  private limit = this.policy.minOpenParts;
  private readonly pressure = new AdmissionPressure();

  constructor(private readonly runtime: MessagingRuntime) {
    // On /metrics, so an operator sees the backlog and the limit it is held to.
    const gauge: Gauge = new Gauge({
      name: 'pointsweep_saga_open_parts', help: 'Cash-out parts on their way (redeeming, paying, refunding), and the admission limit',
      labelNames: ['of'], registers: [runtime.metrics],
      collect: () => {
        gauge.set({ of: 'open' }, this.openParts);
        gauge.set({ of: 'limit' }, this.limit);
      },
    });
    this.loop = new PollingLoop('saga backpressure', () => this.sample(), runtime.logger.child({ component: 'backpressure' }), this.policy.sampleMs);
  }

  onModuleInit(): void {
    // Admitted parts are counted until the next sample, so a burst in one chunk cannot overshoot the limit.
    const gate = (payload: object) => {
      const verdict = admissionVerdict(this.openParts, this.limit, this.pressure.factor());
      if (verdict) this.pressure.turnedOneAway();
      else {
        this.pressure.tookOne();
        this.openParts += payload instanceof CashOut ? payload.parts.length : 1;
      }
      return verdict;
    };
    this.runtime.admissionGates.set(CashOut.name, gate);
    this.runtime.admissionGates.set(ConfirmQuote.name, gate);
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
  }

  private async sample(): Promise<boolean> {
    // Both counts are range scans of partial indexes (cash_out_parts_open, cash_out_parts_finished). The window is
    // judged on the service clock, which is what stamps updated_at.
    const since = new Date(this.runtime.clock.now().getTime() - this.policy.windowMs);
    const [{ open, finished }]: { open: number; finished: number }[] = await this.runtime.dataSource.query(
      `SELECT (SELECT count(*)::int FROM cash_out_parts WHERE state IN ('REDEEMING', 'PAYING', 'REFUNDING')) AS open,
              (SELECT count(*)::int FROM cash_out_parts WHERE state NOT IN ('REDEEMING', 'PAYING', 'REFUNDING') AND updated_at > $1) AS finished`,
      [since]);
    this.openParts = open;
    this.limit = openPartsLimit(finished, this.policy);
    return false;
  }
}
