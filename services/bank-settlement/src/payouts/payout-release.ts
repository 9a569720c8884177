import { EntityManager } from 'typeorm';
import { formatBankTransactionId, transferDateOf } from './bank-transaction-id';

/** One releaser at a time, across instances and the operator command: held for the whole release transaction. */
export const RELEASE_LOCK_KEY = 'bank-settlement.payout-release';

const CHUNK = 1000;

export interface ReleaseOptions {
  /** Business time (the injected clock): the transfer date of a released payout is its KST date. */
  now: Date;
  /** Only payouts whose release_at has come (the releaser), or every SCHEDULED payout (the operator command). */
  dueOnly: boolean;
  /** At most this many; all when absent. */
  limit?: number;
  /** Wait for the lock (operator command) or give up at once when another instance holds it (releaser tick). */
  waitForLock: boolean;
}

/**
 * Moves SCHEDULED payouts to PENDING inside the caller's transaction, earliest release first. Each gets a fresh
 * bank transaction id and the KST date of the release as its transfer date: the bank dedupes on (date, id), and
 * the id is stored before the worker can call the bank. Returns how many were released (0 when the lock is taken).
 */
export async function releaseScheduledPayouts(tx: EntityManager, options: ReleaseOptions): Promise<number> {
  if (options.waitForLock) {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [RELEASE_LOCK_KEY]);
  } else {
    const [{ locked }]: { locked: boolean }[] = await tx.query(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked`, [RELEASE_LOCK_KEY]);
    if (!locked) return 0;
  }
  const transferDate = transferDateOf(options.now);
  let released = 0;
  for (;;) {
    const want = options.limit === undefined ? CHUNK : Math.min(CHUNK, options.limit - released);
    if (want <= 0) break;
    const rows: { part_id: string }[] = await tx.query(
      `SELECT part_id FROM payouts
        WHERE status = 'SCHEDULED' AND ($1::boolean IS FALSE OR release_at <= $2)
        ORDER BY release_at, part_id
        LIMIT $3
        FOR UPDATE`,
      [options.dueOnly, options.now, want],
    );
    if (rows.length === 0) break;
    const ids: { n: string }[] = await tx.query(`SELECT nextval('bank_transaction_seq')::text AS n FROM generate_series(1, $1::int)`, [rows.length]);
    await tx.query(
      `UPDATE payouts p
          SET status = 'PENDING', transfer_date = $2, bank_transaction_id = v.bank_transaction_id,
              released_at = now(), next_attempt_at = now(), updated_at = now()
         FROM unnest($1::uuid[], $3::text[]) AS v(part_id, bank_transaction_id)
        WHERE p.part_id = v.part_id AND p.status = 'SCHEDULED'`,
      [rows.map((r) => r.part_id), transferDate, ids.map((i) => formatBankTransactionId(BigInt(i.n)))],
    );
    released += rows.length;
    if (rows.length < want) break;
  }
  return released;
}
