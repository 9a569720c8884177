import { createHash } from 'node:crypto';
import { CashOut } from '@pointsweep/contracts';

/** What makes two requests with one request id "the same": the account and the parts, in any order. */
export function requestFingerprint(command: Pick<CashOut, 'accountId' | 'parts'>): string {
  const parts = [...command.parts].map((p) => `${p.program}:${p.points}`).sort();
  return createHash('sha256').update(JSON.stringify([command.accountId, parts])).digest('hex');
}
