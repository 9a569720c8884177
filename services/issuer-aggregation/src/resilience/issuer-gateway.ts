import CircuitBreaker from 'opossum';
import { ISSUERS, IssuerCode, PointsweepError } from '@pointsweep/contracts';
import { deadlineSignal, type JsonLogger } from '@pointsweep/messaging';
import type { Connectors } from '../connectors/connectors';
import type { IssuerPoints, RedemptionReceipt, RedemptionRequest, RefundReceipt, RefundRequest } from '../connectors/issuer-connector';
import type { IssuerSettings } from '../settings';
import { describeError } from '../log-fields';
import { BreakerState, breakerStateOf, isNotAFailure, translateBreakerError } from './breaker-policy';
import { TokenBucket } from './token-bucket';

type Call = (signal: AbortSignal) => Promise<unknown>;

interface Lane {
  breaker: CircuitBreaker<[Call, AbortSignal | undefined], unknown>;
  bucket: TokenBucket;
  /** Calls sent and not yet settled: the bulkhead. */
  inFlight: number;
}

export type BreakerListener = (issuer: IssuerCode, state: BreakerState) => void;

/** Told of every call through a lane: how long it took and how it ended (ok, or the error's code). */
export type CallObserver = (issuer: IssuerCode, operation: string, outcome: string, seconds: number) => void;

/**
 * Every call to a card company goes through its own lane: refused at once if its breaker is open, its bulkhead full
 * (calls in flight) or its rate (a token bucket) spent; then an opossum breaker with its own timeout, which aborts
 * the HTTP call. One company's trouble never touches another's lane.
 */
export class IssuerGateway {
  private readonly lanes: Record<IssuerCode, Lane>;
  private readonly listeners: BreakerListener[] = [];

  constructor(
    private readonly connectors: Connectors,
    private readonly settings: IssuerSettings,
    private readonly logger: JsonLogger,
    /** Monotonic milliseconds for the rate limiter. */
    now: () => number = () => performance.now(),
    private readonly observe: CallObserver = () => undefined,
  ) {
    this.lanes = Object.fromEntries(ISSUERS.map((issuer) => [issuer, this.lane(issuer, now)])) as Record<IssuerCode, Lane>;
  }

  fetchPoints(issuer: IssuerCode, ci: string, callerSignal?: AbortSignal): Promise<IssuerPoints> {
    return this.run(issuer, 'fetchPoints', (signal) => this.connectors[issuer].fetchPoints(ci, signal), callerSignal);
  }

  redeem(issuer: IssuerCode, request: RedemptionRequest): Promise<RedemptionReceipt> {
    return this.run(issuer, 'redeem', (signal) => this.connectors[issuer].redeem(request, signal));
  }

  findRedemption(issuer: IssuerCode, idempotencyKey: string): Promise<RedemptionReceipt | null> {
    return this.run(issuer, 'findRedemption', (signal) => this.connectors[issuer].findRedemption(idempotencyKey, signal));
  }

  refund(issuer: IssuerCode, request: RefundRequest): Promise<RefundReceipt> {
    return this.run(issuer, 'refund', (signal) => this.connectors[issuer].refund(request, signal));
  }

  findRefund(issuer: IssuerCode, idempotencyKey: string): Promise<RefundReceipt | null> {
    return this.run(issuer, 'findRefund', (signal) => this.connectors[issuer].findRefund(idempotencyKey, signal));
  }

  states(): Record<IssuerCode, BreakerState> {
    return Object.fromEntries(ISSUERS.map((issuer) => [issuer, breakerStateOf(this.lanes[issuer].breaker)])) as Record<IssuerCode, BreakerState>;
  }

  onStateChange(listener: BreakerListener): void {
    this.listeners.push(listener);
  }

  /** Stops the breakers' timers. */
  shutdown(): void {
    for (const issuer of ISSUERS) this.lanes[issuer].breaker.shutdown();
  }

  onModuleDestroy(): void {
    this.shutdown();
  }

  private async run<T>(issuer: IssuerCode, operation: string, call: (signal: AbortSignal) => Promise<T>, callerSignal?: AbortSignal): Promise<T> {
    const lane = this.lanes[issuer];
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    const refusal = this.refusal(issuer, lane);
    if (refusal) {
      this.observe(issuer, operation, refusal.code, seconds());
      throw refusal;
    }
    lane.inFlight += 1;
    try {
      const result = (await lane.breaker.fire(call, callerSignal)) as T;
      this.observe(issuer, operation, 'ok', seconds());
      return result;
    } catch (error) {
      const translated = translateBreakerError(issuer, error, this.settings.issuerTimeoutMs);
      this.observe(issuer, operation, translated instanceof PointsweepError ? translated.code : 'ERROR', seconds());
      throw translated;
    } finally {
      lane.inFlight -= 1;
    }
  }

  /**
   * Refused here, before the breaker, a call that would not be sent: opossum counts a full bulkhead as the card
   * company's failure, which under our own load (answers waiting for a busy event loop) opened healthy companies'
   * breakers. Only a call that is sent spends a token of the company's rate.
   */
  private refusal(issuer: IssuerCode, lane: Lane): PointsweepError | undefined {
    // opossum's own rule: open, or half open with its one trial call already out.
    if (!lane.breaker.closed && !lane.breaker.pendingClose) return PointsweepError.withoutStack('BREAKER_OPEN', `${issuer} breaker is open`, true);
    if (lane.inFlight >= this.settings.issuerCapacity) return PointsweepError.withoutStack('BULKHEAD_FULL', `${issuer} has too many calls in flight`, true);
    if (!lane.bucket.tryTake()) {
      return PointsweepError.withoutStack('RATE_LIMITED', `${issuer} is limited to ${this.settings.issuerRatePerSecond} calls/s; retry after ${lane.bucket.retryAfterMs()} ms`, true);
    }
    return undefined;
  }

  private lane(issuer: IssuerCode, now: () => number): Lane {
    const timeoutMs = this.settings.issuerTimeoutMs;
    // Our own per-call signal aborts the HTTP request at the timeout (opossum's shared abortController would
    // abort every call in flight on this breaker, not just the one that timed out).
    const action = async (call: Call, callerSignal: AbortSignal | undefined): Promise<unknown> => {
      const timeoutReason = () => new DOMException(`${issuer} did not answer within ${timeoutMs} ms`, 'TimeoutError');
      const { signal, dispose } = deadlineSignal(timeoutMs, timeoutReason, callerSignal);
      try {
        return await call(signal);
      } finally {
        dispose();
      }
    };
    const breaker = new CircuitBreaker<[Call, AbortSignal | undefined], unknown>(action, {
      name: issuer,
      group: 'issuers',
      timeout: timeoutMs,
      capacity: this.settings.issuerCapacity,
      volumeThreshold: this.settings.breakerVolumeThreshold,
      errorThresholdPercentage: this.settings.breakerErrorThresholdPercentage,
      resetTimeout: this.settings.breakerResetTimeoutMs,
      errorFilter: isNotAFailure,
      // opossum otherwise sorts every latency of its window on each failure to judge the error rate (14 % of this
      // service's CPU with one card company hung at 300 lookups/s), and again every second for a snapshot; latency
      // is measured by our own histogram, and nothing listens for snapshots.
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    });
    const changed = (state: BreakerState) => () => {
      // Calls refused before the breaker (refusal()) never reach it: its window counts calls sent.
      const { fires, failures, timeouts } = breaker.stats;
      const fields = { issuer, breaker: state, window: { fires, failures, timeouts } };
      if (state === 'open') this.logger.warn('issuer breaker opened', fields);
      else this.logger.info(state === 'closed' ? 'issuer breaker closed' : 'issuer breaker half open', fields);
      // A listener's failure is logged, never thrown into the breaker.
      for (const listener of this.listeners) {
        try {
          listener(issuer, state);
        } catch (error) {
          this.logger.error('breaker state listener failed', { issuer, breaker: state, ...describeError(error) });
        }
      }
    };
    breaker.on('open', changed('open'));
    breaker.on('halfOpen', changed('halfOpen'));
    breaker.on('close', changed('closed'));
    return { breaker, bucket: new TokenBucket(this.settings.issuerRatePerSecond, this.settings.issuerBurst, now), inFlight: 0 };
  }
}
