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

/** Resolves the person a command acts for, from its signed assertion. */
export async function personFromAssertion(
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
  if (rows.length === 0) throw new PointsweepError(ErrorCodes.assertionInvalid, 'identity assertion names an unknown person');
  return { id: rows[0].id, ci: rows[0].ci, identity: JSON.parse(sealer.open(rows[0].sealed_identity)) };
}
