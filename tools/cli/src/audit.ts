import { PointsweepError } from '@pointsweep/contracts';
import type { AuditLedger } from './run';

/**
 * The ledger audit of @pointsweep/conversion-ledger, loaded only by `pointsweep audit` (the service's entry point
 * pulls in NestJS, which the other commands do not need).
 */
export async function loadAuditLedger(): Promise<AuditLedger> {
  const { auditLedger } = await import('@pointsweep/conversion-ledger');
  return async (options) => {
    try {
      return await auditLedger(options);
    } catch (error) {
      throw new PointsweepError('LEDGER_AUDIT_ERROR', `the audit could not run: ${(error as Error).message}`);
    }
  };
}
