import { EntityManager } from 'typeorm';
import { lockPart, savePart, StoredPart } from '../cash-out.repository';
import { decide, evolve, PartEvent, PartState } from '../domain/cash-out-part';

/**
 * Applies one part event under the part's row lock. Returns the part before and after, or undefined when the
 * event does not apply (unknown part, or a duplicate / out-of-order message), so callers post nothing.
 */
export async function transitionPart(
  tx: EntityManager,
  partId: string,
  event: PartEvent,
  at: Date,
  extra: Parameters<typeof savePart>[4] = {},
): Promise<{ part: StoredPart; next: PartState } | undefined> {
  const part = await lockPart(tx, partId);
  if (!part) return undefined;
  const events = decide(part.state, event);
  if (events.length === 0) return undefined;
  const next = events.reduce(evolve, part.state);
  await savePart(tx, partId, next, at, extra);
  return { part, next };
}
