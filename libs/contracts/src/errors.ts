/**
 * Errors with a stable code and a retriable flag, like kafkajs's KafkaJSError.
 * Retriable errors are retried (and count against breakers); the others are final answers.
 */
export class PointsweepError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retriable = false,
    /** When the service asks to be asked again later (SERVICE_BUSY), how long to wait first. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'PointsweepError';
  }

  /**
   * For refusals that come by the thousand a second under load (a breaker open, a bulkhead full): capturing the
   * stack cost more than the rest of the refusal, and the code already says where it came from.
   */
  static withoutStack(code: string, message: string, retriable = false): PointsweepError {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new PointsweepError(code, message, retriable);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

export const ErrorCodes = {
  invalidMessage: 'INVALID_MESSAGE',
  unknownMessageType: 'UNKNOWN_MESSAGE_TYPE',
  unsupportedVersion: 'UNSUPPORTED_MESSAGE_VERSION',
  assertionInvalid: 'IDENTITY_ASSERTION_INVALID',
  assertionExpired: 'IDENTITY_ASSERTION_EXPIRED',
  notFound: 'NOT_FOUND',
  requestIdReused: 'REQUEST_ID_REUSED_WITH_OTHER_CONTENT',
  accountNotVerified: 'PAYOUT_ACCOUNT_NOT_VERIFIED',
  accountNotOwn: 'PAYOUT_ACCOUNT_NOT_OWN',
  verificationFailed: 'VERIFICATION_FAILED',
  zeroWon: 'CONVERSION_WORTH_ZERO_WON',
  dailyLimit: 'DAILY_CASH_OUT_LIMIT',
  noConsent: 'NO_CONSENT',
  insufficientPoints: 'INSUFFICIENT_POINTS',
  issuerUnavailable: 'ISSUER_UNAVAILABLE',
  handlerFailed: 'HANDLER_FAILED',
  /** The request was not taken (it waited in the queue past the admission limit, or the backlog is full): nothing was done, ask again later. */
  serviceBusy: 'SERVICE_BUSY',
  quoteExpired: 'QUOTE_EXPIRED',
  pointsNotConvertible: 'POINTS_NOT_CONVERTIBLE',
} as const;

export function isRetriable(error: unknown): boolean {
  return error instanceof PointsweepError ? error.retriable : true;
}
