import { EntityManager } from 'typeorm';
import { kstDate } from '@pointsweep/messaging';

/** Our 10-character institution code at the bank. */
export const INSTITUTION_CODE = 'PTSWEEP001';
const SEQUENCE_DIGITS = 9;
const MAX_SEQUENCE = 36n ** BigInt(SEQUENCE_DIGITS) - 1n;

/** 20 characters: institution code + 'U' + the sequence number in 9 zero-padded uppercase base-36 digits. */
export function formatBankTransactionId(sequence: bigint): string {
  if (sequence < 1n || sequence > MAX_SEQUENCE) throw new Error(`bank transaction sequence out of range: ${sequence}`);
  return `${INSTITUTION_CODE}U${sequence.toString(36).toUpperCase().padStart(SEQUENCE_DIGITS, '0')}`;
}

/** Allocates the next id inside the caller's transaction; a rolled-back number is simply never used. */
export async function allocateBankTransactionId(tx: EntityManager): Promise<string> {
  const [{ n }]: { n: string }[] = await tx.query(`SELECT nextval('bank_transaction_seq')::text AS n`);
  return formatBankTransactionId(BigInt(n));
}

/** The bank's transfer date, YYYYMMDD in Asia/Seoul. */
export function transferDateOf(at: Date): string {
  return kstDate(at).replaceAll('-', '');
}
