import { EntityManager } from 'typeorm';
import { TransactionWork } from '@pointsweep/messaging';
import { PartSave, StoredPart } from '../cash-out.repository';
import { decide, evolve, PartEvent, PartState } from '../domain/cash-out-part';
import { PendingLedgerWrites } from '../ledger/pending-ledger-writes';

/**
 * Applies one part event under the part's row lock; the save waits for the end of the transaction
 * (PendingLedgerWrites). Returns the part before and after, or undefined when the event does not apply
 * (unknown part, or a duplicate / out-of-order message), so callers post nothing.
 */
export async function transitionPart(
  ctx: { tx: EntityManager; work: TransactionWork },
  partId: string,
  event: PartEvent,
  at: Date,
  extra: Omit<PartSave, 'partId' | 'part' | 'at'> = {},
): Promise<{ part: StoredPart; next: PartState } | undefined> {
  const writes = PendingLedgerWrites.of(ctx);
  const part = await writes.lockPart(partId);
  if (!part) return undefined;
  const events = decide(part.state, event);
  if (events.length === 0) return undefined;
  const next = events.reduce(evolve, part.state);
  writes.savePart(part, next, at, extra);
  return { part, next };
}
