import { EntityManager } from 'typeorm';
import { ErrorCodes, PointsweepError } from '@pointsweep/contracts';
import { AssertionVerifier, Sealer } from '@pointsweep/messaging';

/** What the carrier verified; stored only sealed. */
export interface VerifiedIdentity {
  name: string;
  birthDate: string;
  carrier: string;
  phone: string;
}

export interface PersonRow {
  id: string;
  ci: string;
  identity: VerifiedIdentity;
}

/**
 * The ci of persons already read, by id. Neither ever changes for a person row (a second verification of the same
 * ci re-seals its identity, keeping id and ci), and an assertion is only issued after the row committed, so a
 * remembered pair cannot go stale; onboarding asked for it once for every consent.
 */
const knownPersons = new Map<string, { id: string; ci: string }>();
const KNOWN_PERSONS_MAX = 20_000;

/** The person (id and ci) a command acts for, from its signed assertion. */
export async function personFromAssertion(tx: EntityManager, verifier: AssertionVerifier, assertion: string, now: Date): Promise<{ id: string; ci: string }> {
  const personId = verifier.verify(assertion, now);
  const known = knownPersons.get(personId);
  if (known) return known;
  const rows: { id: string; ci: string }[] = await tx.query(`SELECT id, ci FROM persons WHERE id = $1`, [personId]);
  if (rows.length === 0) throw unknownPerson();
  // Oldest first out: a Map keeps insertion order.
  if (knownPersons.size >= KNOWN_PERSONS_MAX) knownPersons.delete(knownPersons.keys().next().value!);
  knownPersons.set(personId, { id: rows[0].id, ci: rows[0].ci });
  return rows[0];
}

/** The person a command acts for, from its signed assertion, with the identity the carrier last verified. */
export async function personWithIdentity(
  tx: EntityManager,
  verifier: AssertionVerifier,
  sealer: Sealer,
  assertion: string,
  now: Date,
): Promise<PersonRow> {
  const personId = verifier.verify(assertion, now);
  const rows: { id: string; ci: string; sealed_identity: string }[] = await tx.query(
    `SELECT id, ci, sealed_identity FROM persons WHERE id = $1`,
    [personId],
  );
  if (rows.length === 0) throw unknownPerson();
  return { id: rows[0].id, ci: rows[0].ci, identity: JSON.parse(sealer.open(rows[0].sealed_identity)) };
}

function unknownPerson(): PointsweepError {
  return new PointsweepError(ErrorCodes.assertionInvalid, 'identity assertion names an unknown person');
}
