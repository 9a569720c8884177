import { EntityManager } from 'typeorm';
import { DeferredWork, MessageContext } from '@pointsweep/messaging';

/**
 * The consents granted in one transaction, written in one statement at its end (a person's six consents usually
 * share a transaction; one at a time they were six). Anything that reads or changes consents in the same
 * transaction writes the pending grants first (RevokeConsent does), so they take effect in message order.
 */
export class ConsentGrants implements DeferredWork {
  private grants = new Map<string, { personId: string; issuer: string; at: Date }>();

  private constructor(private readonly tx: EntityManager) {}

  static of(ctx: MessageContext): ConsentGrants {
    return ctx.work.get('identity.consent-grants', () => new ConsentGrants(ctx.tx));
  }

  add(personId: string, issuer: string, at: Date): void {
    // One row per consent: a statement cannot update the same row twice.
    this.grants.set(`${personId}/${issuer}`, { personId, issuer, at });
  }

  async flush(): Promise<void> {
    const grants = [...this.grants.values()];
    this.grants = new Map();
    if (grants.length === 0) return;
    await this.tx.query(
      `INSERT INTO consents (person_id, issuer, status, updated_at)
       SELECT g.person_id, g.issuer, 'GRANTED', g.at FROM jsonb_to_recordset($1::jsonb) AS g(person_id uuid, issuer text, at timestamptz)
       ON CONFLICT (person_id, issuer) DO UPDATE SET status = 'GRANTED', updated_at = EXCLUDED.updated_at`,
      [JSON.stringify(grants.map((g) => ({ person_id: g.personId, issuer: g.issuer, at: g.at.toISOString() })))],
    );
  }
}
