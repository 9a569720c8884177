import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { CashOutsTurnedAway, messageDefinition, StartIdentityVerification } from '@pointsweep/contracts';
import { BroadcastListener, MessagingRuntime, retryAfterUnderPressure } from '@pointsweep/messaging';
import { Gauge } from 'prom-client';

const DEFAULT_EASE_MS = 20_000;
const SMOOTHING_MS = 10_000;

/**
 * The door for newcomers (StartIdentityVerification) follows the saga's gate: while the ledger turns cash-outs
 * away, a newcomer let in now would verify, consent, register an account and look up, only to be told "busy" at
 * the cash-out — work the machine did for nothing, and the worst answer a person can get. So while the saga turns
 * away more cash-outs than it takes, the door lets newcomers in at the rate the saga takes cash-outs (one each) and
 * tells the rest "busy" before any of it.
 *
 * A rate, not a share of who knocks: those told busy knock again, so a share let in more the longer the surge
 * lasted. And it eases off over `easeMs` after the saga's last word, doubling four times, instead of lifting at once:
 * a newcomer reaches the cash-out 10–30 s after the door, so a door that opened wide the moment the saga caught up
 * sent everyone who had been waiting to the gate together, and the saga filled again (docs/benchmarks.md, sessions
 * 14–15). Near capacity, where the saga takes at least as many as it turns away, it never narrows (session 12).
 */
export class Door {
  private limit?: { perSecond: number; holdsUntil: number; retryAfterMs: number };
  /** A token bucket of one second's newcomers at the current rate. */
  private tokens = 0;
  private refilledAt = 0;

  constructor(private readonly easeMs = DEFAULT_EASE_MS) {}

  /**
   * The saga's word, heard at `now` (ms): for an instance that gets `share` of the newcomers. It holds until
   * `validForMs` after, or until the next word; a word of a saga that keeps up leaves any limit easing off.
   */
  heard(word: CashOutsTurnedAway, now: number, share = 1): void {
    if (word.turnedAway <= word.taken) return;
    const measured = ((word.taken * 1000) / word.countedOverMs) * share;
    let perSecond = measured;
    if (this.rateAt(now) === undefined) {
      // Full, as a bucket left open would be: a blip in the saga costs the next newcomers nothing.
      this.tokens = Math.max(1, measured);
      this.refilledAt = now;
    } else {
      // Averaged over about SMOOTHING_MS: a full saga takes none in a second in which its limit shrinks, and a door
      // that followed that second starved the saga 10–30 s later (docs/benchmarks.md, session 15).
      perSecond = this.limit!.perSecond + Math.min(1, word.countedOverMs / SMOOTHING_MS) * (measured - this.limit!.perSecond);
    }
    // At least one a second: a saga that took none this second has not stopped for good.
    this.limit = { perSecond: Math.max(share, perSecond), holdsUntil: now + word.validForMs, retryAfterMs: word.retryAfterMs };
  }

  /** Newcomers let in per second at `now`; undefined when the door is open to all. */
  rateAt(now: number): number | undefined {
    if (!this.limit) return undefined;
    const easing = now - this.limit.holdsUntil;
    if (easing < 0) return this.limit.perSecond;
    if (easing >= this.easeMs) return undefined;
    return this.limit.perSecond * 2 ** ((4 * easing) / this.easeMs);
  }

  /**
   * Undefined (come in) while the rate has room; busy for the rest, with the saga's retry-after jittered by half either
   * way (so they do not come back as one wave).
   */
  verdict(now: number, random: () => number = Math.random): { reason: string; retryAfterMs: number } | undefined {
    const rate = this.rateAt(now);
    if (rate === undefined) {
      this.limit = undefined;
      return undefined;
    }
    this.tokens = Math.min(Math.max(1, rate), this.tokens + (rate * Math.max(0, now - this.refilledAt)) / 1000);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return undefined;
    }
    return {
      reason: `the saga is turning cash-outs away; newcomers are let in at the rate it takes them (${rate.toFixed(1)} a second here)`,
      retryAfterMs: retryAfterUnderPressure(this.limit!.retryAfterMs * (0.5 + random()), 1),
    };
  }
}

/** IDENTITY_DOOR_EASE_MS: how long the door takes to open fully after the saga's last word (default 20 s). */
export function doorEaseMsFromEnv(env: Record<string, string | undefined>): number {
  const easeMs = Number(env.IDENTITY_DOOR_EASE_MS ?? DEFAULT_EASE_MS);
  if (!Number.isSafeInteger(easeMs) || easeMs < 0) throw new Error(`IDENTITY_DOOR_EASE_MS must be a whole number of ms, got ${env.IDENTITY_DOOR_EASE_MS}`);
  return easeMs;
}

/** A word that arrives after its time (a broker away for a while) speaks of a moment that is over. */
export function stillHolds(word: CashOutsTurnedAway, serviceNow: Date): boolean {
  return serviceNow.getTime() - Date.parse(word.at) < word.validForMs;
}

@Injectable()
export class SagaDoor implements OnModuleInit, OnModuleDestroy {
  readonly door = new Door(doorEaseMsFromEnv(process.env));
  private readonly listener: BroadcastListener;

  constructor(private readonly runtime: MessagingRuntime) {
    // With several identity instances each lets in its share of the saga's rate: its share of the newcomers' partitions.
    const newcomersTopic = runtime.topics[messageDefinition(StartIdentityVerification.name)!.topic];
    this.listener = new BroadcastListener(runtime, 'ledgerEvents', {
      [CashOutsTurnedAway.name]: (word) => {
        if (!stillHolds(word as CashOutsTurnedAway, runtime.clock.now())) return;
        const now = Date.now();
        const wasOpen = this.door.rateAt(now) === undefined;
        this.door.heard(word as CashOutsTurnedAway, now, runtime.partitionShare(newcomersTopic));
        const perSecond = this.door.rateAt(now);
        if (wasOpen && perSecond !== undefined) runtime.logger.info('the saga turns cash-outs away; the door narrows to its rate', { perSecond });
      },
    });
    // On /metrics, so an operator sees how far the door is open: +Inf when it lets everyone in.
    const gauge: Gauge = new Gauge({
      name: 'pointsweep_door_newcomers_per_second', help: 'Newcomers the door lets in per second while the saga turns cash-outs away (+Inf: all)',
      registers: [runtime.metrics],
      collect: () => gauge.set(this.door.rateAt(Date.now()) ?? Infinity),
    });
  }

  async onModuleInit(): Promise<void> {
    this.runtime.admissionGates.set(StartIdentityVerification.name, () => this.door.verdict(Date.now()));
    // A door that cannot hear the saga stays open (as before there was a door): safe, so the service starts anyway.
    // kafkajs restarts a listener that crashes later.
    await this.listener.start().catch((error: unknown) => {
      this.runtime.logger.warn('the door cannot hear the saga; it stays open', { error: (error as Error).message });
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.listener.stop();
  }
}
