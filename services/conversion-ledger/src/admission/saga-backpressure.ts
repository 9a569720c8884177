import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { CashOut, CashOutsTurnedAway, ConfirmQuote } from '@pointsweep/contracts';
import { AdmissionPressure, broadcast, MessagingRuntime, PollingLoop, retryAfterUnderPressure } from '@pointsweep/messaging';
import { Gauge } from 'prom-client';

/**
 * Admission for new cash-outs: how many parts may be on their way (redeeming, paying, refunding) at once. The limit
 * is steered by how long parts take: while 9 in 10 finish within `targetP90Ms` of being accepted and the limit is
 * what held new work back, it grows; as soon as they take longer, it shrinks. So the backlog finds what the machine
 * can finish in the target time — whatever the machine — and a surge waits outside, answered busy, instead of
 * inside, where it would make every accepted part late.
 */
export interface BackpressurePolicy {
  maxOpenParts: number;
  minOpenParts: number;
  /** The accepted → finished time 9 in 10 parts should stay within (the saga's p99 target is 2 s). */
  targetP90Ms: number;
  /** How far back finished parts are looked at for their latency. */
  windowMs: number;
  /** How often the open and finished parts are counted and the limit moved. */
  sampleMs: number;
}

export function backpressurePolicyFromEnv(env: Record<string, string | undefined>): BackpressurePolicy {
  const policy: BackpressurePolicy = {
    maxOpenParts: Number(env.LEDGER_MAX_OPEN_PARTS ?? 4000),
    minOpenParts: Number(env.LEDGER_MIN_OPEN_PARTS ?? 30),
    targetP90Ms: Number(env.LEDGER_TARGET_PART_P90_MS ?? 1500),
    windowMs: Number(env.LEDGER_LATENCY_WINDOW_MS ?? 3000),
    sampleMs: Number(env.LEDGER_OPEN_PARTS_SAMPLE_MS ?? 1000),
  };
  const names: Record<keyof BackpressurePolicy, string> = {
    maxOpenParts: 'LEDGER_MAX_OPEN_PARTS', minOpenParts: 'LEDGER_MIN_OPEN_PARTS', targetP90Ms: 'LEDGER_TARGET_PART_P90_MS',
    windowMs: 'LEDGER_LATENCY_WINDOW_MS', sampleMs: 'LEDGER_OPEN_PARTS_SAMPLE_MS',
  };
  for (const key of Object.keys(names) as (keyof BackpressurePolicy)[]) {
    if (!Number.isSafeInteger(policy[key]) || policy[key] <= 0) throw new Error(`${names[key]} must be a positive integer, got ${policy[key]}`);
  }
  if (policy.minOpenParts > policy.maxOpenParts) {
    throw new Error(`LEDGER_MIN_OPEN_PARTS (${policy.minOpenParts}) must not exceed LEDGER_MAX_OPEN_PARTS (${policy.maxOpenParts})`);
  }
  return policy;
}

/** What one sample saw: the limit it ran under, the parts open now, and how long recently finished parts took. */
export interface SagaSample {
  limit: number;
  openParts: number;
  /** The 90th percentile of accepted → finished of the parts finished in the window; null when none finished. */
  p90Ms: number | null;
  /** Whether the limit turned a cash-out away since the last sample (it, not demand, held the work back). */
  limitReached: boolean;
}

/**
 * The next limit. Faster than the target and held back by the limit: grow by the headroom (at most 1.5× a sample,
 * so 30 → 1 000 takes under ten seconds). Slower than the target: shrink in proportion (at most to 0.6× a
 * sample). Not held back: drift down towards twice what is open, so an idle system does not keep a limit a surge
 * would rush through at once.
 */
export function nextOpenPartsLimit(sample: SagaSample, policy: BackpressurePolicy): number {
  const { limit, openParts, p90Ms, limitReached } = sample;
  let next = limit;
  if (p90Ms !== null && p90Ms > policy.targetP90Ms) next = limit * Math.max(0.6, policy.targetP90Ms / p90Ms);
  else if (limitReached && p90Ms !== null) next = limit * Math.min(1.5, policy.targetP90Ms / Math.max(1, p90Ms));
  else if (!limitReached) next = Math.min(limit, Math.max(limit * 0.9, 2 * openParts));
  return Math.min(policy.maxOpenParts, Math.max(policy.minOpenParts, Math.round(next)));
}

/**
 * When the saga already has as many parts on their way as the limit allows, a new cash-out would only wait behind
 * them (and push every accepted part's latency up): it is answered SERVICE_BUSY before it is taken, and the person
 * asks again after the retry-after.
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

/**
 * The word that the saga turned cash-outs away since the last sample (and took some), or none, with the time the counts
 * cover (a sample, longer when the database was slow to answer). It holds for two and a half samples after it is
 * heard, so one lost word does not lift the door's limit.
 */
export function turnedAwayWord(counts: { turnedAway: number; taken: number; overMs: number }, pressure: number, sampleMs: number, at: Date): CashOutsTurnedAway | undefined {
  if (counts.turnedAway === 0) return undefined;
  return {
    turnedAway: counts.turnedAway, taken: counts.taken, countedOverMs: Math.min(60_000, Math.max(1, Math.round(counts.overMs))),
    retryAfterMs: retryAfterUnderPressure(2000, pressure), validForMs: Math.round(sampleMs * 2.5), at: at.toISOString(),
  };
}

@Injectable()
export class SagaBackpressure implements OnModuleInit, OnModuleDestroy {
  private readonly policy = backpressurePolicyFromEnv(process.env);
  private readonly loop: PollingLoop;
  private openParts = 0;
  private limit = this.policy.minOpenParts;
  /** Cash-outs turned away and taken since the last sample: the limit was reached if any was turned away. */
  private turnedAway = 0;
  private taken = 0;
  /** performance.now() when the counts began: the service clock may stand still in a test. */
  private countingSince = performance.now();
  private sampled = false;
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
      if (verdict) {
        this.pressure.turnedOneAway();
        this.turnedAway++;
      } else {
        this.pressure.tookOne();
        this.taken++;
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
    // The open count and the finished parts are range scans of partial indexes (cash_out_parts_open,
    // cash_out_parts_finished), judged on the service clock, which is what stamps updated_at. Not counted: a part
    // paid on its release from the schedule (its wait was the schedule's) and one an operator resolved from manual
    // review (the operator's). Open parts are not counted with their age so far: that made the young backlog of a
    // surge look fast and the limit overshoot (docs/benchmarks.md, session 8).
    const since = new Date(this.runtime.clock.now().getTime() - this.policy.windowMs);
    const [{ open, p90_ms }]: { open: number; p90_ms: number | null }[] = await this.runtime.dataSource.query(
      `SELECT (SELECT count(*)::int FROM cash_out_parts WHERE state IN ('REDEEMING', 'PAYING', 'REFUNDING')) AS open,
              (SELECT percentile_disc(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM p.updated_at - c.accepted_at) * 1000)::float8
                 FROM cash_out_parts p JOIN cash_outs c ON c.id = p.cash_out_id
                WHERE p.state NOT IN ('REDEEMING', 'PAYING', 'REFUNDING') AND p.updated_at > $1
                  AND (p.payout_from IS NULL OR p.updated_at < p.payout_from) AND p.review_reason IS NULL) AS p90_ms`,
      [since]);
    // A (re)started instance begins at what is already open, not at the floor, so it does not turn everyone away
    // while it grows back.
    const limit = this.sampled ? this.limit : Math.min(this.policy.maxOpenParts, Math.max(this.limit, open));
    this.sampled = true;
    this.limit = nextOpenPartsLimit({ limit, openParts: open, p90Ms: p90_ms, limitReached: this.turnedAway > 0 }, this.policy);
    this.openParts = open;
    await this.tellTheDoor();
    return false;
  }

  /** While the saga turns cash-outs away, the identity service's door lets newcomers in only as the saga takes cash-outs. */
  private async tellTheDoor(): Promise<void> {
    const countedUntil = performance.now();
    const counts = { turnedAway: this.turnedAway, taken: this.taken, overMs: countedUntil - this.countingSince };
    const word = turnedAwayWord(counts, this.pressure.factor(), this.policy.sampleMs, this.runtime.clock.now());
    this.turnedAway = 0;
    this.taken = 0;
    this.countingSince = countedUntil;
    if (!word) return;
    try {
      await broadcast(this.runtime, CashOutsTurnedAway, word, new Date(word.at));
    } catch (error) {
      this.runtime.logger.warn('could not tell the door that the saga is full', { error: (error as Error).message });
    }
  }
}
