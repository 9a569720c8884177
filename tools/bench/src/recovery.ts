import { Distribution, distribution } from './stats';

/**
 * Seconds after the start at which surge person i arrives: the rate climbs linearly to its peak over the ramp, then
 * holds, so that all people have arrived at the end of the window.
 */
export function arrivalSeconds(i: number, people: number, rampSeconds: number, durationSeconds: number): number {
  const ramp = Math.min(rampSeconds, durationSeconds);
  const peak = people / (durationSeconds - ramp / 2);
  const n = i + 1;
  const inRamp = (peak * ramp) / 2;
  if (ramp > 0 && n <= inRamp) return Math.sqrt((2 * n * ramp) / peak);
  return ramp + (n - inRamp) / peak;
}

export interface ArrivalPlan {
  /** People of the surge, arriving over `durationSeconds` after the calm before it. */
  people: number;
  rampSeconds: number;
  durationSeconds: number;
  /** People per second arriving all along, before, during and after the surge (0: no calm load). */
  calmRate: number;
  /** The calm load's seconds before the surge, and again after it. */
  calmSeconds: number;
}

/** When the surge starts and ends, in seconds after the run's start. */
export function surgeWindow(plan: ArrivalPlan): { from: number; to: number } {
  const from = plan.calmRate > 0 ? plan.calmSeconds : 0;
  return { from, to: from + plan.durationSeconds };
}

/**
 * Every arrival of the run, in seconds after its start, in order: the surge's people on their ramp, and the calm
 * load's people evenly spaced over the calm before, the surge and the calm after it. `surge` tells them apart.
 */
export function arrivalSchedule(plan: ArrivalPlan): { at: number; surge: boolean }[] {
  const surge = surgeWindow(plan);
  const arrivals = Array.from({ length: plan.people }, (_, i) => ({
    at: surge.from + arrivalSeconds(i, plan.people, plan.rampSeconds, plan.durationSeconds),
    surge: true,
  }));
  if (plan.calmRate > 0) {
    const calmPeople = Math.round(plan.calmRate * (surge.to + plan.calmSeconds));
    for (let j = 0; j < calmPeople; j++) arrivals.push({ at: (j + 0.5) / plan.calmRate, surge: false });
  }
  return arrivals.sort((a, b) => a.at - b.at);
}

/** The person stopped trying: told "busy, retry after" for longer than their patience. */
export class GaveUp extends Error {
  constructor(seconds: number, readonly step: string) {
    super(`gave up after ${seconds} s of busy answers, at ${step}`);
  }
}

/** A person's patience with busy answers, counted from the first one they had. */
export class Patience {
  private busySince?: number;
  constructor(private readonly seconds: number) {}

  /** One more busy answer, to `step`: throws GaveUp once the person has been told busy for their patience's length. */
  toldBusy(step: string, now = Date.now()): void {
    this.busySince ??= now;
    if (this.seconds > 0 && now - this.busySince >= this.seconds * 1000) throw new GaveUp(this.seconds, step);
  }
}

/** One person's way in: arrival → cash-out accepted (or looked up, for a person who only looks up), or not. */
export interface Journey {
  arrivedAt: number;
  /** When the cash-out was accepted (or the lookup answered); unset if the person never got there. */
  reachedAt?: number;
  /** The person only looks up: reaching counts, the journey's length does not (it has no cash-out in it). */
  lookupOnly: boolean;
  gaveUp: boolean;
  failed: boolean;
}

export interface ArrivalBucket {
  /** Seconds after the run's start at which the bucket's arrivals begin. */
  fromSecond: number;
  arrived: number;
  reached: number;
  gaveUp: number;
  failed: number;
  /** Arrival → cash-out accepted, of the people who swept and got there. */
  journeyMs: Distribution;
}

/** The people who arrived in each `bucketSeconds` after `start`, and how their way in went (empty buckets left out). */
export function arrivalBuckets(journeys: readonly Journey[], start: number, bucketSeconds = 10): ArrivalBucket[] {
  const byBucket = new Map<number, Journey[]>();
  for (const j of journeys) {
    if (j.arrivedAt < start) continue;
    const n = Math.floor((j.arrivedAt - start) / (bucketSeconds * 1000));
    const bucket = byBucket.get(n);
    if (bucket) bucket.push(j);
    else byBucket.set(n, [j]);
  }
  return [...byBucket.entries()].sort(([a], [b]) => a - b).map(([n, arrived]) => ({
    fromSecond: n * bucketSeconds,
    arrived: arrived.length,
    reached: arrived.filter((j) => j.reachedAt !== undefined).length,
    gaveUp: arrived.filter((j) => j.gaveUp).length,
    failed: arrived.filter((j) => j.failed).length,
    journeyMs: distribution(arrived.filter((j) => j.reachedAt !== undefined && !j.lookupOnly).map((j) => j.reachedAt! - j.arrivedAt)),
  }));
}

export interface Recovery {
  /** The calm before the surge: arrival → cash-out accepted of the people who arrived then. */
  baselineMs: Distribution;
  /** A bucket is normal when all its people got in and its p99 is at most this. */
  normalP99Ms: number;
  /**
   * Seconds after the surge's end at which arrivals found the system normal again and every later bucket did too;
   * undefined when the run ended before that (or there was no calm after the surge to tell).
   */
  normalAfterSeconds?: number;
}

/** How a normal-p99 bound is set from the calm's p99: half as much again, and never under one more second. */
export function normalBound(baselineP99: number): number {
  return Math.max(baselineP99 * 1.5, baselineP99 + 1000);
}

/**
 * When the system was back to normal after the surge, as people arriving at the calm rate saw it: the first
 * bucket after the surge's end from which on everyone in every bucket got in (no one gave up, failed or was still
 * waiting at the stop) with a p99 of arrival → cash-out accepted within the normal bound of the calm before it.
 */
export function recoveryAfterSurge(journeys: readonly Journey[], start: number, surge: { from: number; to: number }, bucketSeconds = 10): Recovery {
  const before = journeys.filter((j) => j.arrivedAt < start + surge.from * 1000 && j.reachedAt !== undefined && !j.lookupOnly);
  const baselineMs = distribution(before.map((j) => j.reachedAt! - j.arrivedAt));
  const normalP99Ms = normalBound(baselineMs.p99);
  const after = arrivalBuckets(journeys, start + surge.to * 1000, bucketSeconds);
  const normal = (b: ArrivalBucket) => b.reached === b.arrived && (b.journeyMs.count === 0 || b.journeyMs.p99 <= normalP99Ms);
  let firstOfNormalRun: ArrivalBucket | undefined;
  for (const b of after) firstOfNormalRun = normal(b) ? firstOfNormalRun ?? b : undefined;
  return { baselineMs, normalP99Ms, normalAfterSeconds: firstOfNormalRun?.fromSecond };
}
