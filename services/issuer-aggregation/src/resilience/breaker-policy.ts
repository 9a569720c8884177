import { PointsweepError } from '@pointsweep/contracts';

export type BreakerState = 'closed' | 'open' | 'halfOpen';

/** Codes for calls that never left this process: nothing reached the card company. */
export const NOT_SENT_CODES = ['BREAKER_OPEN', 'BULKHEAD_FULL', 'RATE_LIMITED'] as const;
export type NotSentCode = (typeof NOT_SENT_CODES)[number];
export const ISSUER_DOWN = 'ISSUER_DOWN';

/**
 * True when the card company certainly did not carry the call out: it never left this process, or the company
 * answered 503 ISSUER_DOWN, which its API gives before touching anything (an error after applying is a 500).
 */
export function wasNotSent(error: unknown): boolean {
  if (!(error instanceof PointsweepError)) return false;
  return (NOT_SENT_CODES as readonly string[]).includes(error.code) || error.code === ISSUER_DOWN;
}

/**
 * opossum's errorFilter: true means "not a failure of the card company". A business answer (a non-retriable
 * PointsweepError such as INSUFFICIENT_POINTS) says the company is healthy; timeouts, 5xx and network errors do not.
 */
export function isNotAFailure(error: unknown): boolean {
  return error instanceof PointsweepError && !error.retriable;
}

/** opossum's own rejections (open, bulkhead full, timeout) become our coded, retriable errors. */
export function translateBreakerError(issuer: string, error: unknown, timeoutMs: number): unknown {
  const code = (error as { code?: unknown })?.code;
  if (error instanceof PointsweepError || typeof code !== 'string') return error;
  switch (code) {
    case 'EOPENBREAKER':
      return new PointsweepError('BREAKER_OPEN', `${issuer} breaker is open`, true);
    case 'ESEMLOCKED':
      return new PointsweepError('BULKHEAD_FULL', `${issuer} has too many calls in flight`, true);
    case 'ETIMEDOUT':
      return new PointsweepError('ISSUER_TIMEOUT', `${issuer} did not answer within ${timeoutMs} ms`, true);
    default:
      return error;
  }
}

export function breakerStateOf(breaker: { opened: boolean; halfOpen: boolean }): BreakerState {
  if (breaker.halfOpen) return 'halfOpen';
  return breaker.opened ? 'open' : 'closed';
}

/** For the metrics gauge: 0 closed, 1 half open, 2 open. */
export function breakerStateValue(state: BreakerState): number {
  switch (state) {
    case 'closed':
      return 0;
    case 'halfOpen':
      return 1;
    case 'open':
      return 2;
    default: {
      const unexpected: never = state;
      throw new Error(`unknown breaker state ${String(unexpected)}`);
    }
  }
}
