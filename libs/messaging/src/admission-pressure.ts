/** A retry-after is at least 1 s, and never longer than 30 s: later than that a person would rather be told to wait. */
const RETRY_AFTER_BOUNDS = { min: 1000, max: 30_000 };

/** `baseMs` stretched by the pressure (see AdmissionPressure), within the bounds every busy answer keeps. */
export function retryAfterUnderPressure(baseMs: number, pressure: number): number {
  return Math.min(RETRY_AFTER_BOUNDS.max, Math.max(RETRY_AFTER_BOUNDS.min, Math.round(baseMs * Math.max(1, pressure))));
}

/**
 * Requests turned away per request taken, over the last full window (a second): how many times longer than usual a
 * turned-away caller should stay away, so that those turned away come back about as fast as requests are taken
 * instead of asking again and again (each "busy" is a round trip the service must serve).
 */
export class AdmissionPressure {
  private windowStart: number;
  private taken = 0;
  private turnedAway = 0;
  private last = 0;

  constructor(private readonly now: () => number = Date.now, private readonly windowMs = 1000) {
    this.windowStart = now();
  }

  tookOne(): void {
    this.roll();
    this.taken++;
  }

  turnedOneAway(): void {
    this.roll();
    this.turnedAway++;
  }

  /** At least 1: a retry-after is never shortened by it. */
  factor(): number {
    this.roll();
    return Math.max(1, this.last);
  }

  private roll(): void {
    const elapsed = this.now() - this.windowStart;
    if (elapsed < this.windowMs) return;
    // A window with nothing after it (a quiet spell) says nothing about now.
    this.last = elapsed < 2 * this.windowMs ? this.turnedAway / Math.max(1, this.taken) : 0;
    this.taken = 0;
    this.turnedAway = 0;
    this.windowStart = this.now();
  }
}

/**
 * How long a request may have waited in its topic and still be taken. Requests that bring a new person in (entry
 * requests: a verification started) are held to a shorter limit than the next steps of people already inside: when
 * the service falls behind, newcomers are told "busy, retry after" first, so the people already inside keep their
 * queue short and finish at normal latency instead of everyone's steps waiting behind a surge of arrivals.
 */
export interface QueueLimits {
  maxQueueMs?: number;
  entry?: { types: readonly string[]; maxQueueMs: number };
}

export function queueLimitFor(type: string, limits: QueueLimits): number | undefined {
  if (limits.entry?.types.includes(type)) return Math.min(limits.entry.maxQueueMs, limits.maxQueueMs ?? Infinity);
  return limits.maxQueueMs;
}

/**
 * The pressure at the door (entry requests) kept apart from the pressure inside: a crowd of newcomers turned away
 * stretches the retry-after of newcomers only, not of the people already inside, whose next steps should come back
 * as soon as the queue allows.
 */
export class AdmissionPressures {
  private readonly door: AdmissionPressure;
  private readonly inside: AdmissionPressure;

  constructor(private readonly entryTypes: readonly string[] = [], now: () => number = Date.now) {
    this.door = new AdmissionPressure(now);
    this.inside = new AdmissionPressure(now);
  }

  of(type: string): AdmissionPressure {
    return this.entryTypes.includes(type) ? this.door : this.inside;
  }
}
