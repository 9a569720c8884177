import { randomInt } from 'node:crypto';
import { Producer } from 'kafkajs';
import { PointsweepClient } from '@pointsweep/client';
import { CashOut, ErrorCodes, messageDefinition, PointsweepError, CashOutsTurnedAway, StartIdentityVerification, topicsFor } from '@pointsweep/contracts';
import { conversionLedgerService } from '@pointsweep/conversion-ledger';
import { identityService } from '@pointsweep/identity';
import { buildEnvelope, EnvelopeSigner, kafkaMessageOf, systemClock } from '@pointsweep/messaging';
import { testKafka, waitFor } from './harness';
import { startChildService } from './system/child-service';
import { startTestSystem, TestSystem } from './system/system';

// The saga's gate at one open part, so two cash-outs in a row close it; the door open again 3 s after the last word.
const policyEnv = { LEDGER_MIN_OPEN_PARTS: '1', LEDGER_MAX_OPEN_PARTS: '1', IDENTITY_DOOR_EASE_MS: '3000' };

describe('the door for newcomers while the saga turns cash-outs away', () => {
  let system: TestSystem;
  let client: PointsweepClient;
  let producer: Producer;

  beforeAll(async () => {
    const before = Object.fromEntries(Object.keys(policyEnv).map((k) => [k, process.env[k]]));
    Object.assign(process.env, policyEnv);
    try {
      system = await startTestSystem({ clock: systemClock, services: [identityService, conversionLedgerService] });
    } finally {
      for (const [k, v] of Object.entries(before)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
    // A newcomer's app: a busy answer comes straight back instead of being waited out.
    client = await PointsweepClient.connect({ brokers: system.config.kafkaBrokers, topicPrefix: system.prefix, timeoutMs: 30_000, busyRetries: 0 });
    producer = testKafka().producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await client?.close();
    await system?.close();
  });

  const newcomer = () => client.startVerification({ name: '김민지', birthDate: '1990-04-01', carrier: 'SKT', phone: `010${randomInt(10_000_000, 99_999_999)}` });
  const turnedAwayAtTheDoor = async () => {
    try {
      await newcomer();
      return false;
    } catch (error) {
      return error instanceof PointsweepError && error.code === ErrorCodes.serviceBusy && /the saga is turning cash-outs away/.test(error.message) ? error : false;
    }
  };
  const doorGauge = async () => {
    const metric = await system.services.get('identity')!.runtime.metrics.getSingleMetric('pointsweep_door_newcomers_per_second')!.get();
    return metric.values[0].value;
  };
  const letIn = async () => Boolean(await newcomer().catch(() => false));

  it('lets newcomers in at the rate the saga takes cash-outs once it turns more away, and all of them again by itself', async () => {
    await waitFor(letIn, { description: 'a newcomer let in before' });
    const gate = system.services.get('conversion-ledger')!.runtime.admissionGates.get(CashOut.name)!;

    // The first takes the one open part the gate allows; the two after it are turned away: a newcomer a second is let in.
    expect(gate({})).toBeUndefined();
    expect(gate({})).toMatchObject({ reason: expect.stringMatching(/cash-out parts are already on their way/) });
    expect(gate({})).toBeDefined();

    const busy = await waitFor(turnedAwayAtTheDoor, { description: 'a newcomer turned away at the door' });
    expect(busy.retriable).toBe(true);
    expect(busy.retryAfterMs).toBeGreaterThanOrEqual(1000);
    expect(busy.retryAfterMs).toBeLessThanOrEqual(30_000);
    expect(busy.message).toMatch(/let in at the rate it takes them \(1\.0 a second here\)/);
    expect(await doorGauge()).toBeLessThan(Infinity);
    // Nothing more turned away: the word is not said again, and once the last one no longer holds the door eases open.
    await waitFor(async () => (await Promise.all([letIn(), letIn(), letIn(), letIn(), letIn(), letIn()])).every(Boolean), { description: 'the door open again', timeoutMs: 20_000 });
    await waitFor(async () => (await doorGauge()) === Infinity, { description: 'the door shown open on /metrics' });
  });

  it('does not close the door on a word the services did not sign', async () => {
    const topic = topicsFor(system.prefix).ledgerEvents;
    const definition = messageDefinition(CashOutsTurnedAway.name)!;
    const word = (validForMs: number): CashOutsTurnedAway => ({ turnedAway: 1, taken: 0, countedOverMs: 1000, retryAfterMs: 2000, validForMs, at: new Date().toISOString() });
    const forged = buildEnvelope(definition, word(60_000), { key: definition.type });
    const genuine = new EnvelopeSigner(system.keys).sign(buildEnvelope(definition, word(5000), { key: definition.type }));

    // In this order on one partition: the door closes on the genuine word (the saga took none), for five seconds — room
    // for a loaded machine to deliver it and ask once — not on the forged one's minute.
    await producer.send({ topic, acks: -1, messages: [kafkaMessageOf(forged), kafkaMessageOf(genuine)] });

    await waitFor(turnedAwayAtTheDoor, { description: 'the genuine word heard' });
    await waitFor(letIn, { description: 'the door open again seconds later', timeoutMs: 20_000 });
  });

  it('lets in its share of the saga\'s rate while a second identity instance takes half the newcomers', async () => {
    const second = await startChildService('identity', system.config);
    try {
      const identity = system.services.get('identity')!.runtime;
      const newcomersTopic = topicsFor(system.prefix).identityCommands;
      await waitFor(async () => identity.partitionShare(newcomersTopic) === 0.5, { description: 'the newcomers\' partitions shared out', timeoutMs: 60_000 });
      const door = identity.admissionGates.get(StartIdentityVerification.name)!;
      await waitFor(async () => (await doorGauge()) === Infinity, { description: 'the door open to all', timeoutMs: 20_000 });
      const gate = system.services.get('conversion-ledger')!.runtime.admissionGates.get(CashOut.name)!;

      expect(gate({})).toBeUndefined();
      expect(gate({})).toBeDefined();
      expect(gate({})).toBeDefined();

      // Half of the saga's cash-out a second at this instance's door: the other instance lets in the other half.
      const busy = await waitFor(async () => door({}), { description: 'this instance\'s door narrowed' });
      expect(busy.reason).toMatch(/let in at the rate it takes them \(0\.5 a second here\)/);
    } finally {
      await second.stop();
    }
  });
});
