import { execFileSync } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { auditLedger } from '@pointsweep/conversion-ledger';
import { awaitCashOut, OnboardedPerson, onboardPerson, simulatorAdmin } from '@pointsweep/client';
import { bankSettlementService } from '@pointsweep/bank-settlement';
import { conversionLedgerService } from '@pointsweep/conversion-ledger';
import { identityService } from '@pointsweep/identity';
import { issuerAggregationService } from '@pointsweep/issuer-aggregation';
import { kstInstant, offsetClock, ServiceDefinition } from '@pointsweep/messaging';
import { connectingInformation } from '@pointsweep/simulators';
import { kafkaBrokers, randomName, waitFor } from './harness';
import { ChildService, startChildService } from './system/child-service';
import { bankTransfers, expectEachPaidOnce, expectLedgerAuditPasses } from './system/paid-once';
import { startTestSystem, TestSystem } from './system/system';

process.env.BREAKER_RESET_TIMEOUT_MS = '1500';
// A slow card company's calls each take its whole timeout, one lookup after another: three failures in the
// breaker's 10-s window must be enough (the default minimum is 10).
process.env.BREAKER_VOLUME_THRESHOLD = '3';
process.env.PAYOUT_BASE_DELAY_MS = '200';
process.env.WATCHDOG_NUDGE_AFTER_MS = '20000';
// A killed consumer's partitions move to its successor after this, not after the default 30 s.
process.env.KAFKA_SESSION_TIMEOUT_MS = '6000';
// A crashed worker's lease must run out quickly for the test; it still outlasts every bank call.
process.env.PAYOUT_TRANSFER_TIMEOUT_MS = '1000';
process.env.PAYOUT_INQUIRY_TIMEOUT_MS = '1000';
process.env.PAYOUT_LEASE_MS = '3000';

const BUSINESS_MORNING = kstInstant('2026-11-26', '10:00');

/**
 * The deterministic fault scenarios: one service runs as its own process and dies (SIGKILL) at a fixed crash point
 * mid-saga, then starts again; the broker and the database restart under load; a card company goes down and back.
 * After each, the person is paid exactly once and the ledger audit passes.
 */
describe('faults: nothing is lost or paid twice', () => {
  const children: ChildService[] = [];

  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.stop()));
  });

  async function crashAndRecover(childName: string, inProcess: ServiceDefinition[], crashAt: string, program: { issuer: string; program: string }) {
    const system = await startTestSystem({ clock: offsetClock(BUSINESS_MORNING), services: inProcess });
    try {
      const doomed = await startChildService(childName, system.config, { POINTSWEEP_CRASH_AT: crashAt });
      children.push(doomed);
      const person = await onboardPerson(system.client, system.simulatorsUrl, [program.issuer]);
      const ci = connectingInformation(system.prefix, person.name, person.birthDate, person.phone);
      await simulatorAdmin(system.simulatorsUrl, `/admin/issuers/${program.issuer}/members/${ci}/programs/${program.program}`, { balance: 5000 });
      const request = { assertion: person.assertion, requestId: randomName('crash'), accountId: person.accountId, parts: [{ program: program.program, points: 3000 }] };
      // The reply may die with the process; the request id makes asking again safe.
      system.client.cashOut(request, person.personId).catch(() => undefined);
      const ended = await Promise.race([doomed.exited, new Promise<string>((ok) => setTimeout(() => ok('still running'), 60000))]);
      expect(ended).toBe('SIGKILL');
      children.push(await startChildService(childName, system.config));
      const accepted = await system.client.cashOut(request, person.personId);
      const settled = await awaitCashOut(system.client, person, accepted.cashOutId, 90000);
      // The parts' states and failure codes show in the failure message, not just the overall state.
      expect({ state: settled.state, parts: settled.parts.map((p) => ({ state: p.state, failureCode: p.failureCode })) })
        .toEqual({ state: 'COMPLETED', parts: [{ state: 'PAID', failureCode: undefined }] });
      const transfers = await bankTransfers(system.simulatorsUrl);
      expect(transfers.filter((t) => t.accountNumber === person.accountNumber).map((t) => t.amountWon)).toEqual([settled.parts[0].won]);
      const points = await (await fetch(`${system.simulatorsUrl}/issuers/${program.issuer}/members/${ci}/points`)).json();
      expect(points.programs.find((p: { program: string }) => p.program === program.program).balance).toBe(5000 - settled.parts[0].pointsConsumed);
      await expectLedgerAuditPasses(system.database.url);
    } finally {
      await Promise.all(children.splice(0).map((c) => c.stop()));
      await system.close();
    }
  }

  it('pays once when settlement dies right after the bank call, before recording it', async () => {
    await crashAndRecover('bank-settlement', [identityService, issuerAggregationService, conversionLedgerService], 'payout-after-bank-call', { issuer: 'KB', program: 'KB_POINTREE' });
  });

  it('redeems once when the card-company service dies after redeeming, before committing', async () => {
    await crashAndRecover('issuer-aggregation', [identityService, conversionLedgerService, bankSettlementService], 'before-commit:RedeemPoints', { issuer: 'SHINHAN', program: 'SHINHAN_MYSHINHAN' });
  });

  it('absorbs the duplicates when the ledger dies after publishing its outbox, before marking it', async () => {
    await crashAndRecover('conversion-ledger', [identityService, issuerAggregationService, bankSettlementService], 'outbox-after-publish', { issuer: 'NH', program: 'NH_POINT' });
  });

  it('applies a message once when the ledger dies after its effect, before committing the offset', async () => {
    await crashAndRecover('conversion-ledger', [identityService, issuerAggregationService, bankSettlementService], 'after-effect-before-offset-commit', { issuer: 'BC', program: 'BC_TOP' });
  });

  it('onboards and pays once when identity dies after recording a consent, before committing', async () => {
    const system = await startTestSystem({ clock: offsetClock(BUSINESS_MORNING), services: [issuerAggregationService, conversionLedgerService, bankSettlementService] });
    try {
      const doomed = await startChildService('identity', system.config, { POINTSWEEP_CRASH_AT: 'before-commit:GrantConsents' });
      children.push(doomed);
      // The consent request is redelivered to the next identity process; the client's wait outlives the restart.
      const onboarding = onboardPerson(system.client, system.simulatorsUrl, ['HANA']);
      onboarding.catch(() => undefined);
      const ended = await Promise.race([doomed.exited, new Promise<string>((ok) => setTimeout(() => ok('still running'), 60000))]);
      expect(ended).toBe('SIGKILL');
      children.push(await startChildService('identity', system.config));
      const person = await onboarding;
      const ci = connectingInformation(system.prefix, person.name, person.birthDate, person.phone);
      await simulatorAdmin(system.simulatorsUrl, `/admin/issuers/HANA/members/${ci}/programs/HANA_MONEY`, { balance: 5000 });
      const accepted = await system.client.cashOut(
        { assertion: person.assertion, requestId: randomName('identity-crash'), accountId: person.accountId, parts: [{ program: 'HANA_MONEY', points: 3000 }] }, person.personId);
      const settled = await awaitCashOut(system.client, person, accepted.cashOutId, 90000);
      expect({ state: settled.state, parts: settled.parts.map((p) => p.state) }).toEqual({ state: 'COMPLETED', parts: ['PAID'] });
      // One consent row, one ConsentGranted emitted, one transfer.
      const db = new Client({ connectionString: system.database.url });
      await db.connect();
      try {
        const consents = await db.query(`SELECT issuer FROM identity.consents WHERE person_id = $1`, [person.personId]);
        expect(consents.rows).toEqual([{ issuer: 'HANA' }]);
        const granted = await db.query(
          `SELECT count(*)::int AS n FROM identity.outbox WHERE message_type = 'ConsentGranted' AND value->'payload'->>'personId' = $1`, [person.personId]);
        expect(granted.rows[0].n).toBe(1);
      } finally {
        await db.end();
      }
      await expectEachPaidOnce(system.simulatorsUrl, [person]);
      await expectLedgerAuditPasses(system.database.url);
    } finally {
      await Promise.all(children.splice(0).map((c) => c.stop()));
      await system.close();
    }
  });

  it('finishes every cash-out while a second ledger instance joins and is then killed (two rebalances mid-run)', async () => {
    const system = await startTestSystem({ clock: offsetClock(BUSINESS_MORNING) });
    try {
      const people = [];
      for (let i = 0; i < 3; i++) {
        const person = await onboardPerson(system.client, system.simulatorsUrl, ['SHINHAN']);
        const ci = connectingInformation(system.prefix, person.name, person.birthDate, person.phone);
        await simulatorAdmin(system.simulatorsUrl, `/admin/issuers/SHINHAN/members/${ci}/programs/SHINHAN_MYSHINHAN`, { balance: 5000 });
        people.push(person);
      }
      // A second instance joins the ledger's group: the partitions are shared out again while cash-outs arrive.
      const second = await startChildService('conversion-ledger', system.config);
      children.push(second);
      const accepted = [];
      for (const person of people) {
        const request = { assertion: person.assertion, requestId: randomName('two'), accountId: person.accountId, parts: [{ program: 'SHINHAN_MYSHINHAN', points: 3000 }] };
        accepted.push({ person, view: await system.client.cashOut(request, person.personId) });
      }
      // Killed mid-run: its partitions come back to the first instance once the group gives up on it.
      second.process.kill('SIGKILL');
      expect(await second.exited).toBe('SIGKILL');
      for (const { person, view } of accepted) {
        const settled = await awaitCashOut(system.client, person, view.cashOutId, 90000);
        expect({ state: settled.state, parts: settled.parts.map((p) => p.state) }).toEqual({ state: 'COMPLETED', parts: ['PAID'] });
      }
      await expectEachPaidOnce(system.simulatorsUrl, accepted.map((a) => a.person));
      await expectLedgerAuditPasses(system.database.url);
    } finally {
      await Promise.all(children.splice(0).map((c) => c.stop()));
      await system.close();
    }
  });

  describe('with the whole system in this process', () => {
    let system: TestSystem;
    beforeAll(async () => {
      system = await startTestSystem({ clock: offsetClock(BUSINESS_MORNING) });
    });
    afterAll(async () => {
      await system?.close();
    });

    /** The states a card company's breaker has announced (IssuerBreakerStateChanged); each test watches its own card company. */
    async function watchBreaker(issuer: string): Promise<{ states: string[]; stop(): Promise<void> }> {
      const states: string[] = [];
      const kafka = new Kafka({ brokers: kafkaBrokers(), clientId: 'breaker-watch', logLevel: logLevel.NOTHING });
      const consumer = kafka.consumer({ groupId: randomName('breaker-watch') });
      await consumer.connect();
      await consumer.subscribe({ topics: [`${system.prefix}.issuer.events`], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const envelope = JSON.parse(message.value!.toString());
          if (envelope.type === 'IssuerBreakerStateChanged' && envelope.payload.issuer === issuer) states.push(envelope.payload.state);
        },
      });
      return { states, stop: () => consumer.disconnect() };
    }

    /** Looks up until the breaker has announced `state` `times` times; every lookup must show KB fresh meanwhile. */
    async function lookUpUntil(person: OnboardedPerson, breaker: { states: string[] }, state: string, times: number, description: string) {
      await waitFor(async () => {
        const overview = await system.client.lookupPoints({ assertion: person.assertion }, person.personId);
        expect(overview.programs.find((p) => p.program === 'KB_POINTREE')!.status).toBe('FRESH');
        return breaker.states.filter((s) => s === state).length >= times;
      }, { timeoutMs: 60000, intervalMs: 100, description });
    }

    it('follows a flapping card company: its breaker opens and closes with each outage while the others stay fresh', async () => {
      const person = await onboardPerson(system.client, system.simulatorsUrl, ['CITI', 'KB']);
      const breaker = await watchBreaker('CITI');
      try {
        for (let flap = 1; flap <= 2; flap++) {
          await simulatorAdmin(system.simulatorsUrl, '/admin/issuers/CITI/faults', { outage: true });
          await lookUpUntil(person, breaker, 'OPEN', flap, `CITI's breaker to open (outage ${flap})`);
          await simulatorAdmin(system.simulatorsUrl, '/admin/issuers/CITI/faults', {});
          await lookUpUntil(person, breaker, 'CLOSED', flap, `CITI's breaker to close (recovery ${flap})`);
        }
        const overview = await system.client.lookupPoints({ assertion: person.assertion }, person.personId);
        expect(overview.programs.filter((p) => p.issuer === 'CITI').every((p) => p.status === 'FRESH')).toBe(true);
      } finally {
        await simulatorAdmin(system.simulatorsUrl, '/admin/issuers/CITI/faults', {});
        await breaker.stop();
      }
    });

    it('opens a card company\'s breaker while it is down, keeps the others fresh, and closes it after recovery', async () => {
      const person = await onboardPerson(system.client, system.simulatorsUrl, ['LOTTE', 'KB']);
      const breaker = await watchBreaker('LOTTE');
      const states = breaker.states;
      try {
        await simulatorAdmin(system.simulatorsUrl, '/admin/issuers/LOTTE/faults', { outage: true });
        await waitFor(async () => {
          const overview = await system.client.lookupPoints({ assertion: person.assertion }, person.personId);
          expect(overview.programs.find((p) => p.program === 'KB_POINTREE')!.status).toBe('FRESH');
          return states.includes('OPEN');
        }, { timeoutMs: 60000, intervalMs: 100, description: 'LOTTE\'s breaker to open' });
        await simulatorAdmin(system.simulatorsUrl, '/admin/issuers/LOTTE/faults', {});
        await waitFor(async () => {
          await system.client.lookupPoints({ assertion: person.assertion }, person.personId);
          return states.includes('CLOSED');
        }, { timeoutMs: 60000, intervalMs: 300, description: 'LOTTE\'s breaker to close after recovery' });
        const ready = await (await fetch(`${system.services.get('issuer-aggregation')!.url}/health/ready`)).json();
        expect(ready.checks.breakers.detail.LOTTE).toBe('closed');
      } finally {
        await simulatorAdmin(system.simulatorsUrl, '/admin/issuers/LOTTE/faults', {});
        await breaker.stop();
      }
    });

    it('falls back to the last snapshot of a card company slower than its timeout, opens its breaker, and closes it when it is fast again', async () => {
      const person = await onboardPerson(system.client, system.simulatorsUrl, ['SAMSUNG', 'KB']);
      const samsung = (overview: { programs: { program: string; status: string; asOf: string | null }[] }) =>
        overview.programs.find((p) => p.program === 'SAMSUNG_BONUS')!;
      const kb = (overview: { programs: { program: string; status: string }[] }) => overview.programs.find((p) => p.program === 'KB_POINTREE')!;
      const before = await system.client.lookupPoints({ assertion: person.assertion }, person.personId);
      expect(samsung(before).status).toBe('FRESH');
      const breaker = await watchBreaker('SAMSUNG');
      try {
        // Answers after 5 s; its timeout is 2 s and a lookup's budget 2.5 s.
        await simulatorAdmin(system.simulatorsUrl, '/admin/issuers/SAMSUNG/faults', { latencyMs: 5000 });
        // Each lookup waits out SAMSUNG's timeout and answers with its snapshot, until the breaker has seen enough.
        await waitFor(async () => {
          const overview = await system.client.lookupPoints({ assertion: person.assertion }, person.personId);
          expect({ samsung: samsung(overview).status, asOf: samsung(overview).asOf, kb: kb(overview).status })
            .toEqual({ samsung: 'STALE', asOf: samsung(before).asOf, kb: 'FRESH' });
          return breaker.states.includes('OPEN');
        }, { timeoutMs: 60000, intervalMs: 100, description: 'SAMSUNG\'s breaker to open' });
        const whileOpen = await system.client.lookupPoints({ assertion: person.assertion }, person.personId);
        expect({ samsung: samsung(whileOpen).status, kb: kb(whileOpen).status }).toEqual({ samsung: 'STALE', kb: 'FRESH' });
        await simulatorAdmin(system.simulatorsUrl, '/admin/issuers/SAMSUNG/faults', {});
        await lookUpUntil(person, breaker, 'CLOSED', 1, 'SAMSUNG\'s breaker to close once it is fast again');
        const after = await system.client.lookupPoints({ assertion: person.assertion }, person.personId);
        expect(samsung(after).status).toBe('FRESH');
      } finally {
        await simulatorAdmin(system.simulatorsUrl, '/admin/issuers/SAMSUNG/faults', {});
        await breaker.stop();
      }
    });

    it.each([['kafka', 'the Kafka broker'], ['postgres', 'PostgreSQL']])('finishes a cash-out started before %s restarts', async (image, _what) => {
      const person = await onboardPerson(system.client, system.simulatorsUrl, ['HANA']);
      const accepted = await system.client.cashOut(
        { assertion: person.assertion, requestId: randomName('restart'), accountId: person.accountId, parts: [{ program: 'HANA_MONEY', points: 900 }] },
        person.personId,
      );
      const container = execFileSync('docker', ['ps', '-q', '--filter', `label=dev.pointsweep.test.owner-pid=${process.pid}`, '--filter', `label=dev.pointsweep.test.role=${image}`]).toString().trim();
      expect(container).not.toBe('');
      execFileSync('docker', ['restart', '-t', '5', container]);
      const settled = await waitFor(
        () => awaitCashOut(system.client, person, accepted.cashOutId, 20000).catch(() => undefined),
        { timeoutMs: 120000, intervalMs: 1000, description: 'the cash-out to settle after the restart' },
      );
      expect(settled.state).toBe('COMPLETED');
      const audit = await auditLedger({ databaseUrl: system.database.url });
      expect(audit.checks.filter((c) => !c.ok)).toEqual([]);
    });
  });
});
