export { conversionLedgerService } from './conversion-ledger.service';
export { auditLedger, type AuditReport, type AuditCheck, type AuditOptions } from './audit/audit-ledger';
export { appendJournals } from './ledger/ledger.writer';
export { resolvedCashOuts } from './cash-out.repository';
export { redemptionLines } from './domain/journal';
