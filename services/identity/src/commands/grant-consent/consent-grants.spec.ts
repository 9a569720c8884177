import { EntityManager } from 'typeorm';
import { messageDefinition, RevokeConsent, topicsFor } from '@pointsweep/contracts';
import { AssertionVerifier, buildEnvelope, JsonLogger, MessageContext, MessagingRuntime, TransactionWork } from '@pointsweep/messaging';
import { GrantConsentHandler } from './grant-consent.handler';
import { RevokeConsentHandler } from '../revoke-consent/revoke-consent.handler';

const PERSON = '33333333-3333-4333-8333-333333333333';

jest.mock('../../identity-record', () => ({
  personFromAssertion: async () => ({ id: PERSON, ci: 'ci-of-the-person' }),
}));

/** A transaction that records its statements in order. */
function transaction() {
  const statements: { sql: string; params: unknown[] }[] = [];
  const tx = {
    query: async (sql: string, params: unknown[] = []) => {
      statements.push({ sql, params });
      return sql.includes('UPDATE consents') ? [{ person_id: PERSON }] : [];
    },
  } as unknown as EntityManager;
  return { tx, statements };
}

describe('consents granted in one transaction', () => {
  const verifier = {} as AssertionVerifier;
  const runtime = { logFor: () => new JsonLogger('test', 'error') } as unknown as MessagingRuntime;
  const at = new Date('2026-12-02T01:00:00Z');
  const contextIn = (tx: EntityManager, work: TransactionWork) =>
    new MessageContext(buildEnvelope(messageDefinition(RevokeConsent.name)!, {}, { key: PERSON }) as never, tx, at, topicsFor('t.'), work);

  it('given three grants, then one statement writes them all at the end, each with its event', async () => {
    const { tx, statements } = transaction();
    const work = new TransactionWork();
    const contexts = ['KB', 'HANA', 'KB'].map(() => contextIn(tx, work));
    const grant = new GrantConsentHandler(verifier);
    for (const [i, issuer] of ['KB', 'HANA', 'KB'].entries()) await grant.handle({ assertion: 'a'.repeat(16), issuer }, contexts[i]);
    expect(statements).toHaveLength(0);
    await work.flush();
    expect(statements).toHaveLength(1);
    expect(JSON.parse(statements[0].params[0] as string).map((g: { issuer: string }) => g.issuer)).toEqual(['KB', 'HANA']);
    expect(contexts.flatMap((c) => c.pending.map((m) => m.envelope.type))).toEqual(['ConsentGranted', 'ConsentGranted', 'ConsentGranted']);
  });

  it('given a grant and then a revoke of the same consent, then the grant is written before the revoke reads it', async () => {
    const { tx, statements } = transaction();
    const work = new TransactionWork();
    await new GrantConsentHandler(verifier).handle({ assertion: 'a'.repeat(16), issuer: 'KB' }, contextIn(tx, work));
    const revoked = await new RevokeConsentHandler(verifier, runtime).handle({ assertion: 'a'.repeat(16), issuer: 'KB' }, contextIn(tx, work));
    await work.flush();
    expect(statements.map((s) => s.sql.trim().split(/\s+/).slice(0, 2).join(' '))).toEqual(['INSERT INTO', 'UPDATE consents']);
    expect(revoked.status).toBe('REVOKED');
  });
});
