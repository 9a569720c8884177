import { randomBytes } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { payoutTiming } from '@pointsweep/banking';
import { CASH_OUT_NOT_RESOLVED, PointsweepClient, readSmsCode, simulatorAdmin } from '@pointsweep/client';
import { CashOutPartState, CashOutView, ErrorCodes, isResolvedState, ISSUERS, PointsweepError, programDefinition, PROGRAMS, RESOLVED_PART_STATES } from '@pointsweep/contracts';
import { auditLedger, AuditCheck } from '@pointsweep/conversion-ledger';
import { connectingInformation } from '@pointsweep/simulators';
import { LagFigures, LagSampler } from './lag-sampler';
import { ProcessFigures, ProcessMatcher, ProcessSampler } from './proc-sampler';
import { ArrivalBucket, arrivalBuckets, arrivalSchedule, GaveUp, Journey, Patience, Recovery, recoveryAfterSurge, surgeWindow } from './recovery';
import { Distribution, distribution, maxOf, minOf, prng, Semaphore, sleepUntilDeadline } from './stats';

export interface BenchOptions {
  /** Simulated people, arriving over `durationSeconds`. */
  people: number;
  /** Launch surge: the arrival rate climbs from zero to its peak over this many seconds. */
  rampSeconds: number;
  /** The arrival window (ramp included); the steady phase is from the end of the ramp to the end of this window. */
  durationSeconds: number;
  /** People in flight at once (arrivals wait for a free slot). */
  concurrency: number;
  /** Share (0..1) of people who only look up; the others look up and sweep everything they hold. */
  lookupOnlyShare: number;
  /** Card companies each person consents to (1..11). */
  issuersPerPerson: number;
  /** Average won per cash-out part the population is seeded with. */
  averagePartWon: number;
  /**
   * How a person learns that an accepted cash-out is resolved: told by the ledger's CashOutResolved notice on the
   * client's reply topic ('notice'), or by polling GetCashOutStatus every `pollIntervalMs` ('poll').
   */
  statusBy: 'notice' | 'poll';
  /** With 'poll': how often a person polls the status of an accepted cash-out (the resolution of accepted → terminal). */
  pollIntervalMs: number;
  /** With 'notice': without a notice for this long, the client polls the status once (a lost notice costs time only). */
  fallbackPollMs: number;
  /** After the arrival window, how long in-flight people may take to finish before the run is cut off. */
  drainSeconds: number;
  /** Seeds the population (names, issuers, balances); phone numbers are fresh every run. */
  seed: number;
  /** Kafka clients the people share (each its own reply topic). */
  clients: number;
  /** Timeout of each request-reply call. */
  requestTimeoutMs: number;
  /**
   * Lookups each person makes (the first is part of the sweep). More than one turns the run into a lookup load: a
   * person looks up again as soon as the answer comes, until the arrival window ends (a person checking their points).
   */
  lookupsPerPerson: number;
  /**
   * A lookup phase of this many seconds (0: none): every person, once onboarded, waits until all are, then all
   * look up back to back, together, for this long; lookups/s, their latency and the CPU figures are those of the
   * phase. The lookup target's measurement (N people looking up at once), without onboarding in the window.
   */
  lookupPhaseSeconds: number;
  /**
   * In the lookup phase, lookups per second offered by all people together (0: each looks up back to back). Each
   * person looks up on a fixed schedule (every people/rate seconds, staggered); a lookup's latency counts from its
   * scheduled start, so a person running behind adds the delay to it rather than hiding it.
   */
  lookupRate: number;
  /**
   * A sweep phase offering this many parts per second (0: none): every person, once onboarded and looked up, waits
   * until all are; then they sweep one after another on a fixed schedule (each person's turn comes when the parts of
   * everyone before them have been offered at this rate), so the phase lasts the population's parts / rate seconds.
   * The parts/s, latency and CPU figures are the phase's: the cash-out throughput without onboarding in the window.
   * (One sweep per person: the ledger takes one cash-out per program per day.)
   */
  sweepRate: number;
  /**
   * Seconds a person goes on being told "busy, retry after" before giving up (0: never; they retry until the
   * hard stop). Counted from the first busy answer the person had, at any step before their cash-out is accepted;
   * a person who gave up is neither finished nor failed.
   */
  patienceSeconds: number;
  /**
   * A calm load around the surge (0: none): people arriving at this many per second for `calmSeconds` before the
   * surge, all through it, and for `calmSeconds` after it. Those arriving after it tell when the system was back to
   * normal (the calm before it sets what normal is).
   */
  calmRate: number;
  calmSeconds: number;
}

export const DEFAULT_BENCH_OPTIONS: BenchOptions = {
  people: 200,
  rampSeconds: 60,
  durationSeconds: 120,
  concurrency: 200,
  lookupOnlyShare: 0.1,
  issuersPerPerson: 6,
  averagePartWon: 11_400,
  statusBy: 'notice',
  pollIntervalMs: 250,
  fallbackPollMs: 10_000,
  drainSeconds: 120,
  seed: 1,
  clients: 1,
  requestTimeoutMs: 30_000,
  lookupsPerPerson: 1,
  lookupPhaseSeconds: 0,
  lookupRate: 0,
  sweepRate: 0,
  patienceSeconds: 0,
  calmRate: 0,
  calmSeconds: 60,
};

/** Opens when every person expected has arrived (or given up); then the phase (lookups or sweeps) runs until `to`. */
class Phase {
  private arrived = 0;
  private open!: () => void;
  private readonly opened = new Promise<void>((resolve) => (this.open = resolve));
  window?: { from: number; to: number };

  constructor(private expected: number, private readonly seconds: number, private readonly drainMs: number) {}

  /** Arrives, and waits until the phase opens (or the deadline); returns the deadline the phase moves it to. */
  async join(deadline: number): Promise<number> {
    this.arrived++;
    this.check();
    await Promise.race([this.opened, sleepUntilDeadline(deadline - Date.now(), deadline)]);
    return this.stopAfter(deadline);
  }

  /** A phase that opened late (onboarding ran past the arrival window) moves the hard stop: the drain counts from its end. */
  stopAfter(deadline: number): number {
    return this.window ? Math.max(deadline, this.window.to + this.drainMs) : deadline;
  }

  /** A person who will never arrive (failed, or not started). */
  drop(): void {
    this.expected--;
    this.check();
  }

  private check(): void {
    if (this.window || this.arrived < this.expected) return;
    const from = Date.now();
    this.window = { from, to: from + this.seconds * 1000 };
    this.open();
  }
}

export interface BenchTarget {
  /** A ready client factory (the test system's), or brokers to connect new clients to. */
  client?: () => Promise<PointsweepClient>;
  brokers: string[];
  prefix: string;
  simulatorsUrl: string;
  /** The simulators' seed: a person's connecting information (ci) is derived from it. */
  simulatorsSeed: string;
  ledgerDatabaseUrl: string;
  ledgerSchema: string;
  /** Service name → http://host:port, to read `pointsweep_consumer_lag_max` from /metrics. */
  metricsUrls?: Record<string, string>;
  /** Processes to sample for RSS and CPU (default: just this process). */
  processes?: ProcessMatcher[];
}

export interface AuditResult {
  ok: boolean;
  checks: AuditCheck[];
}

export interface BenchResult {
  runId: string;
  startedAt: string;
  options: BenchOptions;
  wallSeconds: number;
  steadyWindowSeconds: number;
  people: {
    started: number; finished: number; notStarted: number; failed: number; lookupOnly: number; failures: Record<string, number>;
    /** Gave up after their patience's length of busy answers, in all and by the step they were at. */
    gaveUp: number; gaveUpAt: Record<string, number>;
  };
  onboarding: Distribution;
  lookups: {
    count: number;
    perSecondSteady: number;
    perSecondOverall: number;
    latencyMs: Distribution;
    statuses: Record<string, number>;
    /** Program statuses per card company: a slow or flapping one shows STALE or UNAVAILABLE, the others FRESH. */
    statusesByIssuer: Record<string, Record<string, number>>;
  };
  cashOuts: {
    accepted: number;
    unknownOutcome: number;
    acceptLatencyMs: Distribution;
    parts: number;
    averagePartWon: number;
    wonTotal: number;
    partStates: Record<string, number>;
    settledPerSecondSteady: number;
    settledPerSecondOverall: number;
    peakSettledPer10s: number;
    /** Accepted (the ledger's acceptedAt, moved onto this machine's clock) → the poll that first saw the part terminal. */
    acceptedToTerminalMs: Distribution;
    /** Request sent → terminal seen, on this process's clock only. */
    sentToTerminalMs: Distribution;
    /**
     * Accepted → terminal as the ledger recorded it (the part's updated_at − the cash-out's accepted_at, both on the
     * ledger's clock): what the saga took, without the poll interval and the status request's own way back.
     */
    recordedAcceptedToTerminalMs: Distribution;
    /** The same, for parts the ledger recorded terminal inside the steady window. */
    recordedInSteadyMs: Distribution;
    clockOffsetUncertaintyMs: number;
    statusBy: BenchOptions['statusBy'];
    pollIntervalMs: number;
    /** With notices: cash-outs the client learned were resolved from the notice, and from a fallback poll. */
    resolvedBy: { notice: number; poll: number };
  };
  retries: Record<string, number>;
  /** Requests the bench's clients sent, and the produce requests that carried them. */
  clientSends: { messages: number; produceRequests: number };
  /** Each step's time from its first try to its answer (busy answers waited out and retries included), by step. */
  steps: Record<string, Distribution>;
  /** SERVICE_BUSY answers by message type (each was waited out and sent again by the client). */
  busyAnswers: Record<string, number>;
  /** Per 10 s of the run: parts seen terminal, their accepted → terminal latency, busy answers. */
  timeline: { fromSecond: number; partsDone: number; acceptedToTerminalMs: Distribution; recordedAcceptedToTerminalMs: Distribution; busy: number }[];
  /** With a calm load: the surge's window (seconds into the run), who arrived per 10 s and how they got in, and when it was normal again. */
  surge?: { fromSecond: number; toSecond: number; arrivals: ArrivalBucket[]; recovery?: Recovery };
  lag: LagFigures;
  processes: ProcessFigures[];
  machineBusyPercent: number;
  cpuSecondsPerSettledPart: { allProcesses: number; withoutBench: number };
  /**
   * CPU seconds of every process but the bench over the whole run, per part of the run: onboarding and lookups
   * included, so it compares only runs of one command — but it varies far less from run to run than the steady
   * window's figure, which follows how the phase's messages happen to batch (docs/benchmarks.md, session 13).
   */
  wholeRunCpuWithoutBench: { seconds: number; perPart: number };
  audit: AuditResult;
}

const NAMES = ['김민지', '이서준', '박지우', '최하은', '정도윤', '강서연', '조예준', '윤지호', '장수아', '임하준', '한유나', '오시우'];

/** One simulated person's plan, drawn from the seeded population. */
interface PersonPlan {
  index: number;
  name: string;
  birthDate: string;
  phone: string;
  issuers: string[];
  lookupOnly: boolean;
  /** Target won per program; the seeded balance converts to it (Hyundai's 3:2 on a multiple of 3). */
  wonByProgram: Map<string, number>;
}

/** The balance to seed so a program pays about `won`: whole points, and for 3:2 a multiple of 3. */
export function balanceForWon(program: string, won: number): number {
  const rate = programDefinition(program)!.rate;
  const units = Math.max(1, Math.round(won / rate.won));
  return units * rate.points;
}

function planPopulation(options: BenchOptions): PersonPlan[] {
  const random = prng(options.seed);
  const phoneBase = 10_000_000 + (randomBytes(4).readUInt32BE(0) % 80_000_000);
  const k = Math.min(ISSUERS.length, Math.max(1, Math.round(options.issuersPerPerson)));
  // Uniform between 1,000 and 2×average − 1,000 won: mean = the average.
  const low = 1000;
  const high = Math.max(low, 2 * options.averagePartWon - low);
  return Array.from({ length: options.people }, (_, index) => {
    const issuers = [...ISSUERS].sort(() => random() - 0.5).slice(0, k);
    const wonByProgram = new Map<string, number>();
    for (const p of PROGRAMS.filter((d) => issuers.includes(d.issuer))) wonByProgram.set(p.program, low + Math.floor(random() * (high - low + 1)));
    const year = 1960 + Math.floor(random() * 40);
    const month = 1 + Math.floor(random() * 12);
    const day = 1 + Math.floor(random() * 28);
    return {
      index,
      name: NAMES[Math.floor(random() * NAMES.length)],
      birthDate: `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
      phone: `010${String(phoneBase + ((index * 7919) % 10_000_000)).padStart(8, '0')}`,
      issuers,
      lookupOnly: random() < options.lookupOnlyShare,
      wonByProgram,
    };
  });
}

interface PartRecord {
  program: string;
  won: number;
  acceptedAtSystem: number;
  sentAt: number;
  state?: CashOutPartState;
  doneSeenAt?: number;
}

interface CashOutRecord {
  cashOutId: string;
  requestId: string;
  sentAt: number;
  repliedAt: number;
  acceptedAtSystem: number;
  parts: PartRecord[];
  finished: boolean;
  lastView?: CashOutView;
  /** Why the bench stopped watching before the hard stop (a failure of the watch itself, not the stop). */
  watchFailed?: string;
}

class Recorder {
  constructor(readonly runId: string) {}
  phase?: Phase;
  readonly lookupLatencies: { at: number; ms: number }[] = [];
  readonly lookupStatuses: Record<string, number> = {};
  readonly lookupStatusesByIssuer: Record<string, Record<string, number>> = {};
  readonly onboarding: number[] = [];
  readonly acceptLatencies: number[] = [];
  readonly cashOuts: CashOutRecord[] = [];
  readonly failures: Record<string, number> = {};
  readonly retries: Record<string, number> = {};
  readonly steps: Record<string, number[]> = {};
  readonly busyAnswers: Record<string, number> = {};
  readonly busyAt: number[] = [];
  readonly personIds: string[] = [];
  readonly journeys: Journey[] = [];
  readonly gaveUpAt: Record<string, number> = {};
  unknownOutcome = 0;
  started = 0;
  finished = 0;
  failed = 0;
  gaveUp = 0;
  lookupOnly = 0;

  fail(reason: string): void {
    this.failed++;
    this.failures[reason] = (this.failures[reason] ?? 0) + 1;
  }
  retry(what: string): void {
    this.retries[what] = (this.retries[what] ?? 0) + 1;
  }
  busy(type: string): void {
    this.busyAnswers[type] = (this.busyAnswers[type] ?? 0) + 1;
    this.busyAt.push(Date.now());
  }
}

function errorCode(error: unknown): string {
  if (error instanceof PointsweepError) return error.code;
  return error instanceof Error ? error.message.slice(0, 80) : String(error);
}

/** An answer from the service that it did nothing: busy, or a final refusal. Anything else may have been taken. */
function definitelyNotTaken(error: unknown): boolean {
  return error instanceof PointsweepError && (error.code === ErrorCodes.serviceBusy || (!error.retriable && error.code !== 'REPLY_TIMEOUT'));
}

/**
 * Calls `fn` until it succeeds, never past the deadline: a "busy, retry after" is sent again after the time it
 * names (while the person's patience lasts), anything else retriable (a reply timeout, a transient error) after a
 * capped backoff.
 */
async function withRetry<T>(what: string, rec: Recorder, deadline: number, fn: () => Promise<T>, patience?: Patience): Promise<T> {
  let delay = 100;
  const startedAt = Date.now();
  for (;;) {
    try {
      const answer = await fn();
      (rec.steps[what] ??= []).push(Date.now() - startedAt);
      return answer;
    } catch (error) {
      if (error instanceof PointsweepError && error.code === ErrorCodes.serviceBusy) {
        // Nothing was taken (the client counted the answer): wait as asked and send again.
        patience?.toldBusy(what);
        const wait = error.retryAfterMs ?? 1000;
        if (Date.now() + wait >= deadline) throw error;
        await sleepUntilDeadline(wait, deadline);
        continue;
      }
      const retriable = (error instanceof PointsweepError && error.retriable) || !(error instanceof PointsweepError);
      if (!retriable || Date.now() + delay >= deadline) throw error;
      rec.retry(`${what}:${errorCode(error)}`);
      await sleepUntilDeadline(delay, deadline);
      delay = Math.min(2000, delay * 2);
    }
  }
}

/**
 * The launch-day load: people arrive on a ramp, each verifies by phone, consents to several card companies,
 * registers an own-name account, looks up all programs and sweeps what they hold in one cash-out, then waits
 * until every part is terminal or scheduled (told by the ledger's notice, or polling). Bounded in count and time: it stops by itself at its hard deadline.
 * After the run, the ledger is audited and the bench's own count is checked against the ledger.
 */
export async function runBench(partial: Partial<BenchOptions>, target: BenchTarget, log: (line: string) => void = () => undefined): Promise<BenchResult> {
  const options: BenchOptions = { ...DEFAULT_BENCH_OPTIONS, ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) };
  if (options.durationSeconds <= 0 || options.people <= 0) throw new Error('people and duration must be positive');
  const runId = `bench-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  if (options.calmRate > 0 && (options.lookupPhaseSeconds > 0 || options.sweepRate > 0)) throw new Error('a calm load goes around a surge, not a phase');
  const schedule = arrivalSchedule(options);
  const surge = surgeWindow(options);
  const plans = planPopulation({ ...options, people: schedule.length });
  // In a sweep phase, each sweeping person's turn: after the parts of everyone before them, offered at the rate.
  const sweepTurnMs = new Map<number, number>();
  let partsOffered = 0;
  for (const p of plans.filter((p) => !p.lookupOnly)) {
    sweepTurnMs.set(p.index, options.sweepRate > 0 ? (partsOffered / options.sweepRate) * 1000 : 0);
    partsOffered += p.wonByProgram.size;
  }
  const sweepPhaseSeconds = options.sweepRate > 0 ? partsOffered / options.sweepRate : 0;
  const rec = new Recorder(runId);

  const clients: PointsweepClient[] = [];
  const ownClients: PointsweepClient[] = [];
  for (let i = 0; i < Math.max(1, options.clients); i++) {
    if (target.client) clients.push(await target.client());
    else {
      // A busy answer comes straight to the person (withRetry), who waits it out and sends again, or gives up; counted here.
      const c = await PointsweepClient.connect({
        brokers: target.brokers, topicPrefix: target.prefix, clientId: `${runId}-${i}`, timeoutMs: options.requestTimeoutMs,
        busyRetries: 0, onBusy: (type) => rec.busy(type),
      });
      clients.push(c);
      ownClients.push(c);
    }
  }

  // A client from the caller may have resolved and sent before this run: the run counts what it adds.
  const countsOf = (c: PointsweepClient) => ({ ...c.resolvedBy, ...c.sent });
  const countsBefore = clients.map(countsOf);
  const countedSince = (key: keyof ReturnType<typeof countsOf>) => clients.reduce((n, c, i) => n + countsOf(c)[key] - countsBefore[i][key], 0);
  const sampler = new ProcessSampler(target.processes ?? [{ name: 'bench (this)', pid: process.pid }]);
  const lag = new LagSampler(target.brokers, target.prefix, target.metricsUrls ?? {});
  await lag.start();
  sampler.start();

  const start = Date.now();
  const arrivalEnd = start + (surge.to + (options.calmRate > 0 ? options.calmSeconds : 0)) * 1000;
  const lastStart = arrivalEnd + (options.drainSeconds * 1000) / 2;
  const hardDeadline = arrivalEnd + (options.lookupPhaseSeconds + sweepPhaseSeconds + options.drainSeconds) * 1000;
  const surgeStart = start + surge.from * 1000;
  const steady = { from: surgeStart + Math.min(options.rampSeconds, options.durationSeconds) * 1000, to: start + surge.to * 1000 };
  if (steady.to - steady.from < 1000) steady.from = surgeStart; // no steady phase to speak of: use the whole window
  if (options.lookupPhaseSeconds > 0 && options.sweepRate > 0) throw new Error('a run has a lookup phase or a sweep phase, not both');
  if (options.lookupPhaseSeconds > 0 || options.sweepRate > 0) {
    // Everyone waits for everyone: each person needs a slot of their own.
    if (options.concurrency < options.people) throw new Error('a phase needs --concurrency of at least --people');
    rec.phase = new Phase(options.people, options.lookupPhaseSeconds + sweepPhaseSeconds, options.drainSeconds * 1000);
  }
  const calm = options.calmRate > 0 ? `, ${schedule.length - options.people} more at ${options.calmRate}/s from ${options.calmSeconds} s before to ${options.calmSeconds} s after` : '';
  log(`${runId}: ${options.people} people over ${options.durationSeconds} s (ramp ${options.rampSeconds} s)${calm}, concurrency ${options.concurrency}, hard stop in ${Math.round((hardDeadline - start) / 1000)} s`);

  const slots = new Semaphore(Math.max(1, options.concurrency));
  const inFlight = new Set<Promise<void>>();
  let notStarted = 0;
  const progress = setInterval(() => {
    const done = rec.cashOuts.reduce((n, c) => n + c.parts.filter((p) => p.doneSeenAt).length, 0);
    log(`  t=${Math.round((Date.now() - start) / 1000)}s people ${rec.started} started/${rec.finished} done/${rec.failed} failed/${rec.gaveUp} gave up, lookups ${rec.lookupLatencies.length}, cash-outs ${rec.cashOuts.length}, parts done ${done}`);
  }, 10_000);
  progress.unref();

  try {
    for (const plan of plans) {
      const arriveAt = start + schedule[plan.index].at * 1000;
      if (arriveAt > Date.now()) await sleepUntilDeadline(arriveAt - Date.now(), hardDeadline);
      // Waiting for a slot is part of the person's way in.
      const journey: Journey = { arrivedAt: arriveAt, lookupOnly: plan.lookupOnly, gaveUp: false, failed: false };
      rec.journeys.push(journey);
      if (Date.now() >= lastStart || !(await slots.acquire(lastStart))) {
        notStarted++;
        rec.phase?.drop();
        continue;
      }
      rec.started++;
      const client = clients[plan.index % clients.length];
      const run: Promise<void> = simulatePerson(plan, client, target, options, rec, hardDeadline, arrivalEnd, sweepTurnMs.get(plan.index) ?? 0, journey)
        .then(() => void rec.finished++)
        .catch((error) => {
          // Gave up or failed before the phase (it stops nobody) or during it (it is already open): drop() is harmless.
          rec.phase?.drop();
          if (error instanceof GaveUp) {
            rec.gaveUp++;
            rec.gaveUpAt[error.step] = (rec.gaveUpAt[error.step] ?? 0) + 1;
            journey.gaveUp = true;
            return;
          }
          journey.failed = true;
          rec.fail(errorCode(error));
        })
        .finally(() => {
          slots.release();
          inFlight.delete(run);
        });
      inFlight.add(run);
    }
    // Every person is bounded by the hard deadline; wait for them (and no longer than it plus a grace).
    const stopAt = () => (rec.phase?.stopAfter(hardDeadline) ?? hardDeadline) + 5000;
    const everyone = Promise.allSettled([...inFlight]).then(() => true);
    for (let left = stopAt() - Date.now(); left > 0; left = stopAt() - Date.now()) {
      if (await Promise.race([everyone, sleepUntilDeadline(Math.min(1000, left), stopAt()).then(() => false)])) break;
    }
  } finally {
    clearInterval(progress);
    sampler.stop();
    await lag.stop();
    for (const c of ownClients) await c.close().catch(() => undefined);
  }
  const end = Date.now();

  // --- figures -------------------------------------------------------------------------------------
  const allParts = rec.cashOuts.flatMap((c) => c.parts);
  // The ledger stamps acceptedAt on its own (pinned) clock: find its offset from ours. acceptedAt lies between
  // the send and the reply, so offset ∈ [max(accepted − replied), min(accepted − sent)]; take the upper bound,
  // which can only overstate latency, by at most the bounds' gap (reported).
  const upper = minOf(rec.cashOuts.map((c) => c.acceptedAtSystem - c.sentAt));
  const lower = maxOf(rec.cashOuts.map((c) => c.acceptedAtSystem - c.repliedAt));
  const offset = Number.isFinite(upper) ? upper : 0;
  const doneParts = allParts.filter((p) => p.doneSeenAt !== undefined);
  const acceptedToTerminal = doneParts.map((p) => p.doneSeenAt! - (p.acceptedAtSystem - offset));
  const sentToTerminal = doneParts.map((p) => p.doneSeenAt! - p.sentAt);
  // With a phase, the figures of the steady window are those of the phase (lookups: of a lookup phase only).
  const arrivalSteady = { ...steady };
  if (rec.phase?.window) Object.assign(steady, rec.phase.window);
  const settledInSteady = doneParts.filter((p) => p.doneSeenAt! >= steady.from && p.doneSeenAt! <= steady.to).length;
  let peak10 = 0;
  for (let t = start; t < end; t += 1000) {
    peak10 = Math.max(peak10, doneParts.filter((p) => p.doneSeenAt! >= t && p.doneSeenAt! < t + 10_000).length / 10);
  }
  // The ledger's own record, its terminal instants moved onto this clock like acceptedAt.
  const recorded = (await recordedPartLatencies(target, runId, rec)).map((r) => ({ ms: r.ms, at: r.terminalAt - offset }));
  const timeline: BenchResult['timeline'] = [];
  for (let t = start; t < end; t += 10_000) {
    const inBucket = doneParts.filter((p) => p.doneSeenAt! >= t && p.doneSeenAt! < t + 10_000);
    timeline.push({
      fromSecond: Math.round((t - start) / 1000),
      partsDone: inBucket.length,
      acceptedToTerminalMs: distribution(inBucket.map((p) => p.doneSeenAt! - (p.acceptedAtSystem - offset))),
      recordedAcceptedToTerminalMs: distribution(recorded.filter((r) => r.at >= t && r.at < t + 10_000).map((r) => r.ms)),
      busy: rec.busyAt.filter((b) => b >= t && b < t + 10_000).length,
    });
  }
  const partStates: Record<string, number> = {};
  for (const p of allParts) partStates[p.state ?? 'UNSEEN'] = (partStates[p.state ?? 'UNSEEN'] ?? 0) + 1;

  const steadySecondsMeasured = (steady.to - steady.from) / 1000;
  const lookupWindow = options.lookupPhaseSeconds > 0 ? steady : arrivalSteady;
  const inWindow = rec.lookupLatencies.filter((l) => l.at >= lookupWindow.from && l.at <= lookupWindow.to);
  const lookupsInSteady = inWindow.length;
  const { processes, machineBusyPercent } = sampler.figures(steady);
  const steadyCpu = processes.reduce((s, p) => s + p.steadyCpuSeconds, 0);
  const notBench = processes.filter((p) => !p.name.startsWith('bench'));
  const steadyCpuWithoutBench = notBench.reduce((s, p) => s + p.steadyCpuSeconds, 0);
  const wholeRunCpuWithoutBench = notBench.reduce((s, p) => s + p.cpuSeconds, 0);

  log(`${runId}: load finished after ${Math.round((end - start) / 1000)} s; auditing the ledger`);
  const audit = await auditRun(target, runId, rec);

  return {
    runId,
    startedAt: new Date(start).toISOString(),
    options,
    wallSeconds: (end - start) / 1000,
    steadyWindowSeconds: steadySecondsMeasured,
    people: { started: rec.started, finished: rec.finished, notStarted, failed: rec.failed, gaveUp: rec.gaveUp, gaveUpAt: rec.gaveUpAt, lookupOnly: rec.lookupOnly, failures: rec.failures },
    onboarding: distribution(rec.onboarding),
    lookups: {
      count: rec.lookupLatencies.length,
      perSecondSteady: lookupsInSteady / ((lookupWindow.to - lookupWindow.from) / 1000),
      perSecondOverall: rec.lookupLatencies.length / ((end - start) / 1000),
      // A lookup phase reports the latency of its own lookups only.
      latencyMs: distribution((options.lookupPhaseSeconds > 0 && rec.phase?.window ? inWindow : rec.lookupLatencies).map((l) => l.ms)),
      statuses: rec.lookupStatuses,
      statusesByIssuer: rec.lookupStatusesByIssuer,
    },
    cashOuts: {
      accepted: rec.cashOuts.length,
      unknownOutcome: rec.unknownOutcome,
      acceptLatencyMs: distribution(rec.acceptLatencies),
      parts: allParts.length,
      averagePartWon: allParts.length ? allParts.reduce((s, p) => s + p.won, 0) / allParts.length : Number.NaN,
      wonTotal: allParts.reduce((s, p) => s + p.won, 0),
      partStates,
      settledPerSecondSteady: settledInSteady / steadySecondsMeasured,
      settledPerSecondOverall: doneParts.length / ((end - start) / 1000),
      peakSettledPer10s: peak10,
      acceptedToTerminalMs: distribution(acceptedToTerminal),
      sentToTerminalMs: distribution(sentToTerminal),
      recordedAcceptedToTerminalMs: distribution(recorded.map((r) => r.ms)),
      recordedInSteadyMs: distribution(recorded.filter((r) => r.at >= steady.from && r.at <= steady.to).map((r) => r.ms)),
      clockOffsetUncertaintyMs: Number.isFinite(upper) && Number.isFinite(lower) ? upper - lower : Number.NaN,
      statusBy: options.statusBy,
      pollIntervalMs: options.pollIntervalMs,
      resolvedBy: { notice: countedSince('notice'), poll: countedSince('poll') },
    },
    retries: rec.retries,
    clientSends: { messages: countedSince('messages'), produceRequests: countedSince('produceRequests') },
    steps: Object.fromEntries(Object.entries(rec.steps).map(([what, ms]) => [what, distribution(ms)])),
    busyAnswers: rec.busyAnswers,
    timeline,
    surge: options.calmRate > 0 || options.patienceSeconds > 0
      ? {
        fromSecond: surge.from,
        toSecond: surge.to,
        arrivals: arrivalBuckets(rec.journeys, start),
        recovery: options.calmRate > 0 ? recoveryAfterSurge(rec.journeys, start, surge) : undefined,
      }
      : undefined,
    lag: lag.figures(),
    processes,
    machineBusyPercent,
    cpuSecondsPerSettledPart: {
      allProcesses: settledInSteady ? steadyCpu / settledInSteady : Number.NaN,
      withoutBench: settledInSteady ? steadyCpuWithoutBench / settledInSteady : Number.NaN,
    },
    wholeRunCpuWithoutBench: {
      seconds: wholeRunCpuWithoutBench,
      perPart: allParts.length ? wholeRunCpuWithoutBench / allParts.length : Number.NaN,
    },
    audit,
  };
}

/** Start, read the code, confirm; a code that expired while the person waited (3 min) means asking for a new one. */
async function verifyByPhone(plan: PersonPlan, client: PointsweepClient, sim: string, rec: Recorder, deadline: number, patience: Patience) {
  for (let attempt = 1; ; attempt++) {
    const started = await withRetry('startVerification', rec, deadline, () =>
      client.startVerification({ name: plan.name, birthDate: plan.birthDate, carrier: 'SKT', phone: plan.phone }), patience,
    );
    const code = await withRetry('readSms', rec, deadline, () => readSmsCode(sim, plan.phone));
    try {
      return await withRetry('confirmVerification', rec, deadline, () => client.confirmVerification({ verificationId: started.verificationId, code }), patience);
    } catch (error) {
      const expired = error instanceof PointsweepError && error.code === ErrorCodes.verificationFailed && /EXPIRED/.test(error.message);
      if (!expired || attempt >= 3) throw error;
      rec.retry('confirmVerification:code expired, new verification');
    }
  }
}

async function simulatePerson(
  plan: PersonPlan, client: PointsweepClient, target: BenchTarget, options: BenchOptions, rec: Recorder, deadline: number, arrivalEnd: number,
  sweepTurnMs: number, journey: Journey,
): Promise<void> {
  const t0 = Date.now();
  const sim = target.simulatorsUrl;
  const patience = new Patience(options.patienceSeconds);
  const verified = await verifyByPhone(plan, client, sim, rec, deadline, patience);
  rec.personIds.push(verified.personId);
  const person = { personId: verified.personId, assertion: verified.assertion };
  const ci = connectingInformation(target.simulatorsSeed, plan.name, plan.birthDate, plan.phone);
  // The card companies' side: what this person holds (set before the first lookup, so the lookup sees it).
  await Promise.all(
    [...plan.wonByProgram].map(([program, won]) => {
      const issuer = programDefinition(program)!.issuer;
      return withRetry('setBalance', rec, deadline, () =>
        simulatorAdmin(sim, `/admin/issuers/${issuer}/members/${ci}/programs/${program}`, { balance: balanceForWon(program, won) }),
      );
    }),
  );
  await withRetry('grantConsents', rec, deadline, () => client.grantConsents({ assertion: person.assertion, issuers: plan.issuers }, person.personId), patience);
  const accountNumber = `1002${plan.phone.slice(3)}`;
  await withRetry('bankAccount', rec, deadline, () =>
    simulatorAdmin(sim, '/admin/bank/accounts', { bankCode: '020', accountNumber, holderName: plan.name, birthDate: plan.birthDate }),
  );
  const account = await withRetry('registerPayoutAccount', rec, deadline, () =>
    client.registerPayoutAccount({ assertion: person.assertion, bankCode: '020', accountNumber }, person.personId), patience,
  );
  if (account.status !== 'VERIFIED') throw new Error(`account not verified: ${account.reason}`);
  rec.onboarding.push(Date.now() - t0);

  // Consents reach the issuer service as events: until it has seen them all, a lookup shows fewer card
  // companies. A person would look again; so does the bench (each lookup counts), within the deadline.
  let overview;
  for (;;) {
    const lookupStart = Date.now();
    overview = await withRetry('lookupPoints', rec, deadline, () => client.lookupPoints({ assertion: person.assertion }, person.personId), patience);
    rec.lookupLatencies.push({ at: Date.now(), ms: Date.now() - lookupStart });
    const seen = new Set(overview.programs.map((p) => p.issuer));
    // Every card company unavailable (all timed out on a saturated machine, and no snapshot yet): a person would
    // look again rather than give up; so does the bench, counted.
    const nothingKnown = overview.programs.length > 0 && overview.programs.every((p) => p.status === 'UNAVAILABLE');
    if ((plan.issuers.every((i) => seen.has(i)) && !nothingKnown) || Date.now() + 1000 >= deadline) break;
    rec.retry(nothingKnown ? 'lookupPoints:every card company unavailable' : 'lookupPoints:consents not yet visible');
    await sleepUntilDeadline(nothingKnown ? 1000 : 200, deadline);
  }
  const countStatuses = (programs: typeof overview.programs) => {
    for (const p of programs) {
      rec.lookupStatuses[p.status] = (rec.lookupStatuses[p.status] ?? 0) + 1;
      const byIssuer = (rec.lookupStatusesByIssuer[p.issuer] ??= {});
      byIssuer[p.status] = (byIssuer[p.status] ?? 0) + 1;
    }
  };
  countStatuses(overview.programs);
  const lookAgain = async (scheduledAt = Date.now()) => {
    const lookupStart = scheduledAt;
    const again = await withRetry('lookupPoints', rec, deadline, () => client.lookupPoints({ assertion: person.assertion }, person.personId), patience);
    rec.lookupLatencies.push({ at: Date.now(), ms: Date.now() - lookupStart });
    countStatuses(again.programs);
  };
  // The lookup phase: once everyone is here, all look up back to back until it ends.
  if (rec.phase && options.lookupPhaseSeconds > 0) {
    deadline = await rec.phase.join(deadline);
    const phase = rec.phase.window ?? { from: 0, to: 0 };
    if (options.lookupRate > 0) {
      const periodMs = (options.people / options.lookupRate) * 1000;
      for (let at = phase.from + (plan.index / options.people) * periodMs; at < phase.to; at += periodMs) {
        if (at > Date.now()) await sleepUntilDeadline(at - Date.now(), deadline);
        await lookAgain(at);
      }
    } else {
      while (Date.now() < phase.to) await lookAgain();
    }
  }
  // Looking again and again (a person refreshing their points), until the arrival window closes.
  for (let n = 1; n < options.lookupsPerPerson && Date.now() < arrivalEnd; n++) await lookAgain();
  const sweepPhase = rec.phase && options.sweepRate > 0 ? rec.phase : undefined;
  if (plan.lookupOnly) {
    journey.reachedAt = Date.now();
    rec.lookupOnly++;
    sweepPhase?.drop();
    return;
  }

  const parts = overview.programs.filter((p) => p.status !== 'UNAVAILABLE' && p.wonValue > 0).map((p) => ({ program: p.program, points: p.balance }));
  if (parts.length === 0) throw new Error('nothing to sweep');
  if (sweepPhase) {
    // The sweep phase: once everyone is here, each sweeps at their turn.
    deadline = await sweepPhase.join(deadline);
    const turn = (sweepPhase.window?.from ?? 0) + sweepTurnMs;
    if (turn > Date.now()) await sleepUntilDeadline(turn - Date.now(), deadline);
  }
  await sweepAndWatch(person, account.accountId, parts, `${rec.runId}-${plan.index}`, client, options, rec, deadline, patience, journey);
}

/** One cash-out of `parts`, then waits until every part is terminal or scheduled: told by a notice, or polling. */
async function sweepAndWatch(
  person: { personId: string; assertion: string }, accountId: string, parts: { program: string; points: number }[], requestId: string,
  client: PointsweepClient, options: BenchOptions, rec: Recorder, deadline: number, patience: Patience, journey: Journey,
): Promise<void> {
  const sentAt = Date.now();
  let view: CashOutView;
  // Whether any try may have been taken without the bench hearing of it (a reply that did not come in time, a client
  // closed at the hard stop): a later busy answer does not undo an earlier try still waiting in the topic.
  let mayHaveBeenTaken = false;
  try {
    // The same request id every time: a resend after a lost reply returns the first result, never a second cash-out.
    // (The account's verification is ahead of this cash-out on the ledger's stream: "not own" here is a failure.)
    view = await withRetry('cashOut', rec, deadline, () => client.cashOut({ assertion: person.assertion, requestId, accountId, parts }, person.personId)
      .catch((error: unknown) => {
        if (!definitelyNotTaken(error)) mayHaveBeenTaken = true;
        throw error;
      }), patience);
  } catch (error) {
    if (mayHaveBeenTaken) rec.unknownOutcome++;
    throw error;
  }
  const repliedAt = Date.now();
  journey.reachedAt = repliedAt;
  rec.acceptLatencies.push(repliedAt - sentAt);
  const acceptedAtSystem = new Date(view.acceptedAt).getTime();
  const record: CashOutRecord = {
    cashOutId: view.cashOutId,
    requestId,
    sentAt,
    repliedAt,
    acceptedAtSystem,
    parts: view.parts.map((p) => ({ program: p.program, won: p.won, acceptedAtSystem, sentAt })),
    finished: false,
  };
  rec.cashOuts.push(record);
  try {
    await watchUntilResolved(view, record, person, client, options, rec, deadline);
  } catch (error) {
    // The hard stop (the deadline passed, or the client closed after it) only stops the watching; anything else
    // is a failure the audit names.
    const stopped = Date.now() >= deadline - 1000 || /hard deadline|client closed|producer is disconnected/i.test(errorCode(error));
    if (!stopped) record.watchFailed = errorCode(error);
    throw error;
  }
}

async function watchUntilResolved(
  view: CashOutView, record: CashOutRecord, person: { personId: string; assertion: string }, client: PointsweepClient, options: BenchOptions,
  rec: Recorder, deadline: number,
): Promise<void> {
  const status = { assertion: person.assertion, cashOutId: record.cashOutId };
  for (;;) {
    const now = Date.now();
    for (const part of view.parts) {
      const r = record.parts.find((x) => x.program === part.program)!;
      r.state = part.state;
      if (r.doneSeenAt === undefined && isResolvedState(part.state)) r.doneSeenAt = now;
    }
    record.lastView = view;
    if (view.parts.every((p) => isResolvedState(p.state))) {
      record.finished = true;
      return;
    }
    if (options.statusBy === 'notice') {
      view = await client.awaitCashOutResolved(status, person.personId, { timeoutMs: deadline - Date.now(), fallbackPollMs: options.fallbackPollMs })
        .catch((error: unknown) => {
          throw error instanceof PointsweepError && error.code === CASH_OUT_NOT_RESOLVED ? new Error('cash-out not terminal by the hard deadline') : error;
        });
      continue;
    }
    if (Date.now() + options.pollIntervalMs >= deadline) throw new Error('cash-out not terminal by the hard deadline');
    await sleepUntilDeadline(options.pollIntervalMs, deadline);
    view = await withRetry('cashOutStatus', rec, deadline, () => client.cashOutStatus(status, person.personId));
  }
}

/** This run's finished parts as the ledger recorded them: accepted → terminal, and when, on the ledger's clock. */
async function recordedPartLatencies(target: BenchTarget, runId: string, rec: Recorder): Promise<{ ms: number; terminalAt: number }[]> {
  if (!/^[a-z_][a-z0-9_]*$/.test(target.ledgerSchema)) throw new Error(`unsafe schema ${target.ledgerSchema}`);
  const db = new PgClient({ connectionString: target.ledgerDatabaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query(
      `SELECT (extract(epoch FROM p.updated_at - c.accepted_at) * 1000)::float8 AS ms, (extract(epoch FROM p.updated_at) * 1000)::float8 AS terminal_at
         FROM "${target.ledgerSchema}".cash_out_parts p JOIN "${target.ledgerSchema}".cash_outs c ON c.id = p.cash_out_id
        WHERE p.state = ANY($3::text[]) AND (c.request_id LIKE $1 || '-%' OR c.person_id = ANY($2::uuid[]))`,
      [runId, rec.personIds, RESOLVED_PART_STATES],
    );
    return rows.map((r: { ms: number; terminal_at: number }) => ({ ms: r.ms, terminalAt: r.terminal_at }));
  } finally {
    await db.end();
  }
}

/**
 * The ledger audit (every journal balances, chains intact, projection = rebuild, redeemed = paid + refunded +
 * in flight, bank ids unique, part states agree with journals, every part terminal — where a SCHEDULED part is
 * accepted only if its cut-off really put it on the next business day), plus the bench's own count.
 */
async function auditRun(target: BenchTarget, runId: string, rec: Recorder): Promise<AuditResult> {
  const report = await auditLedger({ databaseUrl: target.ledgerDatabaseUrl, schema: target.ledgerSchema, requireTerminal: true });
  const checks = report.checks.filter((c) => c.name !== 'every part reached a terminal state');
  const db = new PgClient({ connectionString: target.ledgerDatabaseUrl });
  await db.connect();
  try {
    if (!/^[a-z_][a-z0-9_]*$/.test(target.ledgerSchema)) throw new Error(`unsafe schema ${target.ledgerSchema}`);
    await db.query(`SET search_path TO "${target.ledgerSchema}"`);
    const { rows: open } = await db.query(
      `SELECT p.id, p.program, p.state, c.accepted_at FROM cash_out_parts p JOIN cash_outs c ON c.id = p.cash_out_id
        WHERE p.state NOT IN ('PAID', 'FAILED', 'MANUAL_REVIEW')`,
    );
    const wrong = open.filter(
      (r) => r.state !== 'SCHEDULED' || payoutTiming({ cutoffKst: programDefinition(r.program)!.cutoffKst, acceptedAt: new Date(r.accepted_at) }).mode !== 'SCHEDULED',
    );
    checks.push({
      name: 'every part is terminal, or scheduled because its cut-off had passed',
      ok: wrong.length === 0,
      detail: wrong.length === 0
        ? `${open.length} scheduled for the next business day, the rest terminal`
        : wrong.slice(0, 5).map((r) => `part ${r.id} ${r.program} ${r.state}`).join('; ') + (wrong.length > 5 ? ` (+${wrong.length - 5})` : ''),
    });

    const { rows: [counted] } = await db.query(
      `SELECT count(DISTINCT c.id)::int AS cash_outs, count(p.id)::int AS parts FROM cash_outs c LEFT JOIN cash_out_parts p ON p.cash_out_id = c.id
        WHERE c.request_id LIKE $1 || '-%' OR c.person_id = ANY($2::uuid[])`,
      [runId, rec.personIds],
    );
    const accepted = rec.cashOuts.length;
    const parts = rec.cashOuts.reduce((n, c) => n + c.parts.length, 0);
    const countOk = counted.cash_outs >= accepted && counted.cash_outs <= accepted + rec.unknownOutcome && (counted.cash_outs !== accepted || counted.parts === parts);
    checks.push({
      name: 'no request lost: the ledger holds every cash-out the bench saw accepted, and no other',
      ok: countOk,
      detail: `bench accepted ${accepted} cash-outs (${parts} parts), ${rec.unknownOutcome} with unknown outcome; ledger has ${counted.cash_outs} (${counted.parts} parts) for this run's people`,
    });

    // A watch that failed is a failure; a cash-out the bench stopped watching at its hard stop is judged by the
    // ledger's record after the run (the ledger finishes what it accepted whether anyone still watches or not).
    const failedWatches = rec.cashOuts.filter((c) => !c.finished && c.watchFailed);
    const cutOff = rec.cashOuts.filter((c) => !c.finished && !c.watchFailed);
    const { rows: stillOpen } = await db.query(
      `SELECT c.id, string_agg(p.program || ':' || p.state, ' ' ORDER BY p.program) AS parts FROM cash_outs c JOIN cash_out_parts p ON p.cash_out_id = c.id
        WHERE c.id = ANY($1::uuid[]) GROUP BY c.id HAVING NOT bool_and(p.state = ANY($2::text[]))`,
      [cutOff.map((c) => c.cashOutId), RESOLVED_PART_STATES],
    );
    const problems = [
      ...failedWatches.map((c) => `${c.cashOutId} watch failed: ${c.watchFailed}`),
      ...stillOpen.map((c: { id: string; parts: string }) => `${c.id} [${c.parts}]`),
    ];
    checks.push({
      name: 'every accepted request reached terminal or scheduled parts',
      ok: problems.length === 0,
      detail: problems.length === 0
        ? `${accepted} of ${accepted}: ${accepted - cutOff.length} seen so by the bench, ${cutOff.length} in the ledger after the bench stopped watching at its hard stop`
        : `${problems.length} not, e.g. ${problems.slice(0, 3).join('; ')}`,
    });
  } finally {
    await db.end();
  }
  return { ok: checks.every((c) => c.ok), checks };
}
