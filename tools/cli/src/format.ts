import {
  CashOutQuote, CashOutView, ConsentRecorded, ManualReviewItem, PayoutAccountRegistered, PayoutsReleased, PointsOverview,
} from '@pointsweep/contracts';

// The audit's own types; a type-only import, so the CLI still loads the ledger only for `pointsweep audit`.
import type { AuditReport } from '@pointsweep/conversion-ledger';

export type { AuditReport };

/** Columns as wide as their widest cell (CJK characters count double), separated by two spaces; numbers right-aligned. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((row) => headers.map((_, i) => cell(row[i])));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((row) => typeof row[i] === 'number' || row[i] === null || row[i] === undefined));
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...cells.map((row) => displayWidth(row[i]))));
  const line = (row: string[]) =>
    row.map((text, i) => (numeric[i] ? padStart(text, widths[i]) : padEnd(text, widths[i]))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

function cell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number') return formatNumber(value);
  return value;
}

/** Whole numbers with thousands separators: 1,234,567. */
export function formatNumber(n: number): string {
  return Number.isInteger(n) ? n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',') : String(n);
}

/** Terminal columns: Hangul and other wide characters take two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    width += (code >= 0x1100 && code <= 0x115f) || (code >= 0x2e80 && code <= 0xa4cf) || (code >= 0xac00 && code <= 0xd7a3) || (code >= 0xf900 && code <= 0xfaff) || (code >= 0xff00 && code <= 0xff60) ? 2 : 1;
  }
  return width;
}
function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}
function padStart(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - displayWidth(text))) + text;
}

/** A two-column key/value block. */
export function fields(pairs: [string, string | number | null | undefined][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${cell(v)}`).join('\n');
}

export function formatVerified(v: { personId: string; assertionExpiresAt: string }, sessionFile: string): string {
  return fields([['verified person', v.personId], ['assertion expires', v.assertionExpiresAt], ['session saved to', sessionFile]]);
}

export function formatVerificationStarted(v: { verificationId: string; expiresAt: string }): string {
  return `${fields([['verification', v.verificationId], ['code expires', v.expiresAt]])}\nThe code was sent to the phone; confirm with: pointsweep verify --code XXXXXX`;
}

export function formatConsent(c: ConsentRecorded): string {
  return `consent ${c.status.toLowerCase()} for ${c.issuer} at ${c.at}`;
}

export function formatAccount(a: PayoutAccountRegistered): string {
  return fields([['account', a.accountId], ['status', a.status], ...(a.reason ? [['reason', a.reason] as [string, string]] : [])]);
}

export function formatOverview(o: PointsOverview): string {
  if (o.programs.length === 0) return 'No programs: grant consent first (pointsweep consent grant --issuer KB).';
  const rows = o.programs.map((p) => {
    const next = [...p.expiring].sort((a, b) => a.date.localeCompare(b.date))[0];
    return [p.program, p.issuer, p.balance, p.wonValue, p.status, next ? `${formatNumber(next.points)} on ${next.date}` : '-', p.status === 'FRESH' ? '' : p.asOf ?? '-'];
  });
  return `${table(['PROGRAM', 'ISSUER', 'POINTS', 'WON', 'STATUS', 'NEXT EXPIRY', 'AS OF'], rows)}\ntotal ${formatNumber(o.totalWon)} won`;
}

export function formatQuote(q: CashOutQuote): string {
  const head = fields([['quote', q.quoteId], ['account', q.accountId], ['quoted at', q.quotedAt], ['expires at', q.expiresAt]]);
  const rows = q.parts.map((p) => [p.program, p.pointsRequested, p.pointsConsumed, p.won, p.payout, p.payout === 'SCHEDULED' ? p.payoutFrom : '']);
  return `${head}\n${table(['PROGRAM', 'REQUESTED', 'CONSUMED', 'WON', 'PAYOUT', 'FROM'], rows)}\ntotal ${formatNumber(q.totalWon)} won\nConfirm with: pointsweep cashout --quote ${q.quoteId}`;
}

export function formatCashOut(v: CashOutView): string {
  const head = fields([['cash-out', v.cashOutId], ['request', v.requestId], ['accepted at', v.acceptedAt], ['state', v.state]]);
  const rows = v.parts.map((p) => [
    p.program, p.pointsRequested, p.pointsConsumed, p.won, p.state, p.failureCode ?? '', p.bankTransactionId ?? '', p.state === 'SCHEDULED' ? p.payoutFrom ?? '' : '',
  ]);
  return `${head}\n${table(['PROGRAM', 'REQUESTED', 'CONSUMED', 'WON', 'STATE', 'FAILURE', 'BANK TX', 'PAYOUT FROM'], rows)}`;
}

export function formatReleased(r: PayoutsReleased): string {
  return `released ${formatNumber(r.released)} scheduled payout${r.released === 1 ? '' : 's'}`;
}

export function formatManualReview(items: ManualReviewItem[]): string {
  if (items.length === 0) return 'No cash-out parts await review.';
  return table(['PART', 'CASH-OUT', 'PROGRAM', 'WON', 'STATE', 'SINCE', 'REASON'], items.map((i) => [i.partId, i.cashOutId, i.program, i.won, i.state, i.since, i.reason]));
}

export function formatAudit(report: AuditReport): string {
  const rows = report.checks.map((c) => [c.name, c.ok ? 'ok' : 'FAILED', c.detail]);
  return `${table(['CHECK', 'RESULT', 'DETAIL'], rows)}\n${report.ok ? 'ledger audit passed' : 'LEDGER AUDIT FAILED'}`;
}

/** An error as the CLI prints it: its stable code first. */
export interface CliErrorView {
  code: string;
  message: string;
  retriable: boolean;
}

export function formatError(e: CliErrorView, json: boolean): string {
  return json ? JSON.stringify({ ok: false, error: e }) : `error ${e.code}: ${e.message}${e.retriable ? ' (retriable: try again)' : ''}`;
}

export function formatJson(result: unknown): string {
  return JSON.stringify(result, null, 2);
}
