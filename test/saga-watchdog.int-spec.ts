import { awaitCashOut, onboardPerson } from '@pointsweep/client';
import { conversionLedgerService } from '@pointsweep/conversion-ledger';
import { identityService } from '@pointsweep/identity';
import { kstInstant, offsetClock } from '@pointsweep/messaging';
import { randomName } from './harness';
import { startTestSystem, TestSystem } from './system/system';

// A watchdog that looks every 200 ms and gives a redemption one second, with no re-sends, before a person must look.
const policyEnv = { WATCHDOG_POLL_MS: '200', WATCHDOG_NUDGE_AFTER_MS: '1000', WATCHDOG_MAX_REDEMPTION_NUDGES: '0' };
const BUSINESS_MORNING = kstInstant('2026-11-26', '10:00');

/** No card-company service runs: a redemption the ledger asks for is never answered. */
describe('the saga watchdog', () => {
  let system: TestSystem;

  beforeAll(async () => {
    const before = Object.fromEntries(Object.keys(policyEnv).map((k) => [k, process.env[k]]));
    Object.assign(process.env, policyEnv);
    try {
      system = await startTestSystem({ clock: offsetClock(BUSINESS_MORNING), services: [identityService, conversionLedgerService] });
    } finally {
      for (const [k, v] of Object.entries(before)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  });

  afterAll(async () => {
    await system?.close();
  });

  it('sends a part whose redemption is never answered to manual review, and tells the client by notice', async () => {
    const person = await onboardPerson(system.client, system.simulatorsUrl, []);
    const accepted = await system.client.cashOut(
      { assertion: person.assertion, requestId: randomName('unanswered'), accountId: person.accountId, parts: [{ program: 'KB_POINTREE', points: 1200 }] },
      person.personId,
    );
    const noticesBefore = system.client.resolvedBy.notice;
    // No fallback poll within the wait: only the notice the watchdog's transaction sends can resolve it.
    const told = await system.client.awaitCashOutResolved(
      { assertion: person.assertion, cashOutId: accepted.cashOutId }, person.personId, { timeoutMs: 60_000, fallbackPollMs: 120_000 },
    );
    expect(system.client.resolvedBy.notice).toBe(noticesBefore + 1);
    expect(told.parts.map((p) => p.state)).toEqual(['MANUAL_REVIEW']);
    const stored = await awaitCashOut(system.client, person, accepted.cashOutId);
    expect(stored.parts.map((p) => p.state)).toEqual(['MANUAL_REVIEW']);
  });
});
