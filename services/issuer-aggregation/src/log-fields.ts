import { PointsweepError } from '@pointsweep/contracts';

/**
 * Error fields for structured logs. The logger masks keys named `code` and `name` (personal data), which would
 * hide error codes, so they travel as errorCode/errorName.
 */
export function describeError(error: unknown): { errorCode?: string; errorName?: string; reason: string; retriable?: boolean } {
  if (error instanceof PointsweepError) return { errorCode: error.code, reason: error.message, retriable: error.retriable };
  if (error instanceof Error) return { errorName: error.name, reason: error.message };
  return { reason: String(error) };
}
