import { randomUUID } from 'node:crypto';
import { Controller, DynamicModule, Module } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { Consumer, Kafka, logLevel, Producer } from 'kafkajs';
import { Client } from 'pg';
import { MigrationInterface, QueryRunner } from 'typeorm';
import { ConsentGranted, ErrorCodes, LookupPoints, messageDefinition, PointsweepError, ReplyPayload, topicsFor } from '@pointsweep/contracts';
import {
  buildEnvelope, CALLS_OUT_SIDE_BY_SIDE, createTopicsAndWait, EnvelopeSigner, generateKeyRing, MessageContext, MessagingRuntime, OnEvent, PlatformModule, RunningService, ServiceConfig,
  ServiceDefinition, startService, systemClock,
} from '@pointsweep/messaging';
import { createTestDatabase, kafkaBrokers, randomName, TestDatabase, waitFor } from './harness';

class ProbeTables1764000009000 implements MigrationInterface {
  name = 'ProbeTables1764000009000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE effects (id bigserial PRIMARY KEY, message_id uuid NOT NULL, person_id uuid NOT NULL, tx bigint NOT NULL DEFAULT txid_current())`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE effects`);
  }
}

const BARRIER_PROBE = 'barrier-probe-assertion';
const barrier = { inFlight: 0, maxInFlight: 0 };

/** A person id the probe refuses for good, after it has already written its effect (which must roll back). */
const REFUSED_PERSON = '00000000-0000-4000-8000-00000000dead';
/** Lookups the probe refuses, after writing its effect and before. */
const REFUSED_AFTER_WRITING = 'refused-after-writing';
const REFUSED_BEFORE_WRITING = 'refused-before-writing';

/** A handler whose effect has no natural uniqueness: only the inbox stands between a redelivery and a second effect. */
@Controller()
class RecordEveryConsentHandler {
  @OnEvent('ConsentGranted')
  async handle(@Payload() event: ConsentGranted, @Ctx() ctx: MessageContext): Promise<void> {
    await ctx.tx.query(`INSERT INTO effects (message_id, person_id) VALUES ($1, $2)`, [ctx.envelope.id, event.personId]);
    if (event.personId === REFUSED_PERSON) throw new PointsweepError('PROBE_REFUSED', 'the probe refuses this person');
  }

  /**
   * A request: answered, and its effect recorded, only when it is taken. Marked to run side by side with its
   * neighbours: a lookup flagged as the barrier probe waits (at most 5 s) until three are in flight at once.
   */
  @MessagePattern(LookupPoints.name, CALLS_OUT_SIDE_BY_SIDE)
  async lookup(@Payload() query: LookupPoints, @Ctx() ctx: MessageContext): Promise<{ taken: true; inFlightWithMe?: number }> {
    if (query.assertion === REFUSED_BEFORE_WRITING) throw new PointsweepError('PROBE_REFUSED', 'the probe refuses this lookup');
    await ctx.tx.query(`INSERT INTO effects (message_id, person_id) VALUES ($1, $2)`, [ctx.envelope.id, ctx.envelope.key]);
    if (query.assertion === REFUSED_AFTER_WRITING) throw new PointsweepError('PROBE_REFUSED', 'the probe refuses this lookup');
    if (query.assertion !== BARRIER_PROBE) return { taken: true };
    barrier.inFlight++;
    barrier.maxInFlight = Math.max(barrier.maxInFlight, barrier.inFlight);
    await waitFor(async () => barrier.inFlight >= 3, { timeoutMs: 5000, description: 'three lookups in flight' }).catch(() => undefined);
    const seen = barrier.maxInFlight;
    barrier.inFlight--;
    return { taken: true, inFlightWithMe: seen };
  }
}

@Module({})
class ProbeModule {
  static forRoot(runtime: MessagingRuntime, config: ServiceConfig): DynamicModule {
    return { module: ProbeModule, imports: [PlatformModule.forRoot(runtime, config)], controllers: [RecordEveryConsentHandler] };
  }
}

const probeService: ServiceDefinition = {
  name: 'probe',
  schema: 'probe',
  migrations: [ProbeTables1764000009000],
  consumes: ['issuerCommands'],
  // For the spec, a lookup plays a newcomer's first request (held to ENTRY_MAX_QUEUE_MS, set below).
  entryRequests: [LookupPoints.name],
  module: (runtime, config) => ProbeModule.forRoot(runtime, config),
};

describe('delivery guarantees of the messaging library', () => {
  let database: TestDatabase;
  let service: RunningService;
  let producer: Producer;
  let db: Client;
  let kafka: Kafka;
  const prefix = randomName('delivery');
  const topics = topicsFor(prefix);
  const keys = generateKeyRing();
  // Events may only come from a service: the spec signs them with the key ring the probe service holds.
  const signer = new EnvelopeSigner(keys);

  beforeAll(async () => {
    database = await createTestDatabase('delivery');
    service = await startService(probeService, {
      kafkaBrokers: kafkaBrokers(), topicPrefix: prefix, databaseUrl: database.url, httpPort: 0,
      simulatorsUrl: 'http://127.0.0.1:9', clock: systemClock, keys, admissionMaxQueueMs: 30_000, entryMaxQueueMs: 5_000,
    });
    kafka = new Kafka({ brokers: kafkaBrokers(), clientId: 'delivery-spec', logLevel: logLevel.NOTHING });
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    db = new Client({ connectionString: database.url });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await producer?.disconnect();
    await service?.close();
    await database?.drop();
  });

  const unsignedConsentGranted = (personId = randomUUID(), key = personId) =>
    buildEnvelope(messageDefinition('ConsentGranted')!, { personId, ci: 'Q2lUZXN0Q2lUZXN0Q2lUZXN0', issuer: 'KB' }, { key });
  const consentGranted = (personId = randomUUID(), key = personId) => signer.sign(unsignedConsentGranted(personId, key));

  /** A reply topic of our own, and every reply on it by the id of the request it answers. */
  async function readReplies(clientId: string): Promise<{ replyTopic: string; replies: Map<string, ReplyPayload>; reader: Consumer }> {
    const replyTopic = `${prefix}.replies.${clientId}`;
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsAndWait(admin, [{ topic: replyTopic, numPartitions: 1 }]);
    await admin.disconnect();
    const replies = new Map<string, ReplyPayload>();
    const reader = kafka.consumer({ groupId: randomName(clientId) });
    await reader.connect();
    await reader.subscribe({ topics: [replyTopic], fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        const reply = JSON.parse(message.value!.toString());
        replies.set(reply.causationId, reply.payload);
      },
    });
    return { replyTopic, replies, reader };
  }

  const effectsFor = async (personId: string) =>
    Number((await db.query(`SELECT count(*) FROM probe.effects WHERE person_id = $1`, [personId])).rows[0].count);

  it('applies a message delivered twice exactly once', async () => {
    const envelope = consentGranted();
    const marker = consentGranted();
    const value = JSON.stringify(envelope);
    await producer.send({ topic: topics.issuerCommands, acks: -1, messages: [{ key: envelope.key, value }] });
    await producer.send({ topic: topics.issuerCommands, acks: -1, messages: [{ key: envelope.key, value }] });
    // Same key, so the marker is consumed after both copies: once it is applied, both copies were seen.
    await producer.send({ topic: topics.issuerCommands, acks: -1, messages: [{ key: envelope.key, value: JSON.stringify(marker) }] });
    await waitFor(async () => (await effectsFor(marker.payload.personId)) === 1, { description: 'the marker to be applied' });
    expect(await effectsFor(envelope.payload.personId)).toBe(1);
    const inbox = await db.query(`SELECT outcome FROM probe.inbox WHERE message_id = $1`, [envelope.id]);
    expect(inbox.rows).toEqual([{ outcome: 'processed' }]);
  });

  it('dead-letters poison messages with their reason and keeps consuming what follows', async () => {
    const deadLetters: { reason: { code: string; message: string }; source: { topic: string } }[] = [];
    const dlq = kafka.consumer({ groupId: randomName('dlq-reader') });
    await dlq.connect();
    await dlq.subscribe({ topics: [topics.deadLetter], fromBeginning: true });
    await dlq.run({ eachMessage: async ({ message }) => void deadLetters.push(JSON.parse(message.value!.toString())) });
    try {
      const key = randomUUID();
      const missingField = consentGranted();
      delete (missingField.payload as Partial<ConsentGranted>).personId;
      const futureVersion = { ...consentGranted(), version: 99 };
      // Written by someone without the key ring (the edge can write to this topic): not taken.
      const unsigned = unsignedConsentGranted();
      const signedByOthers = new EnvelopeSigner(generateKeyRing()).sign(unsignedConsentGranted());
      const tampered = consentGranted();
      tampered.payload.issuer = 'SHINHAN';
      const after = consentGranted();
      await producer.send({
        topic: topics.issuerCommands,
        acks: -1,
        messages: [
          { key, value: Buffer.from([0xff, 0xfe, 0x00, 0x41]) },
          { key, value: 'this is not json' },
          { key, value: JSON.stringify(missingField) },
          { key, value: JSON.stringify(futureVersion) },
          { key, value: JSON.stringify(unsigned) },
          { key, value: JSON.stringify(signedByOthers) },
          { key, value: JSON.stringify(tampered) },
          { key, value: JSON.stringify(after) },
        ],
      });
      await waitFor(async () => (await effectsFor(after.payload.personId)) === 1, { description: 'the valid message behind the poison to be applied' });
      await waitFor(() => deadLetters.length >= 7, { description: 'seven dead letters' });
      const reasons = deadLetters.map((d) => `${d.reason.code}: ${d.reason.message}`);
      expect(reasons).toEqual([
        'INVALID_MESSAGE: message is not valid UTF-8',
        'INVALID_MESSAGE: message is not JSON',
        expect.stringMatching(/^INVALID_MESSAGE: ConsentGranted payload is invalid: personId/),
        'UNSUPPORTED_MESSAGE_VERSION: ConsentGranted version 99 is not supported (expected 1)',
        'MESSAGE_NOT_AUTHENTIC: ConsentGranted may only be sent by a service: it carries no signature',
        expect.stringMatching(/^MESSAGE_NOT_AUTHENTIC: ConsentGranted may only be sent by a service: it is signed with an unknown key /),
        'MESSAGE_NOT_AUTHENTIC: ConsentGranted may only be sent by a service: its signature does not match its content',
      ]);
      for (const forged of [unsigned, signedByOthers, tampered]) expect(await effectsFor(forged.payload.personId)).toBe(0);
      expect(deadLetters.every((d) => d.source.topic === topics.issuerCommands)).toBe(true);
      const ready = await fetch(`${service.url}/health/ready`);
      expect(ready.status).toBe(200);
    } finally {
      await dlq.disconnect();
    }
  });
  it('applies a genuine message whose unsigned copy came first: a forgery does not take its id', async () => {
    const genuine = consentGranted();
    const { signature: _signature, ...forgery } = genuine;
    const marker = consentGranted(randomUUID(), genuine.key);
    await producer.send({
      topic: topics.issuerCommands,
      acks: -1,
      messages: [forgery, genuine, marker].map((e) => ({ key: genuine.key, value: JSON.stringify(e) })),
    });
    await waitFor(async () => (await effectsFor(marker.payload.personId)) === 1, { description: 'the marker to be applied' });
    expect(await effectsFor(genuine.payload.personId)).toBe(1);
    const inbox = await db.query(`SELECT outcome FROM probe.inbox WHERE message_id = $1`, [genuine.id]);
    expect(inbox.rows).toEqual([{ outcome: 'processed' }]);
  });

  it('applies a run of messages together, and when one handler refuses, rolls back only that one', async () => {
    const key = randomUUID();
    const before = [consentGranted(), consentGranted()];
    const refused = consentGranted(REFUSED_PERSON, key);
    const after = [consentGranted(), consentGranted()];
    // One produce request on one key: the consumer gets them as one batch, and they would share a transaction.
    await producer.send({
      topic: topics.issuerCommands,
      acks: -1,
      messages: [...before, refused, ...after].map((e) => ({ key, value: JSON.stringify(e) })),
    });
    const last = after[after.length - 1];
    await waitFor(async () => (await effectsFor(last.payload.personId)) === 1, { description: 'the last message of the run to be applied' });
    for (const e of [...before, ...after]) expect(await effectsFor(e.payload.personId)).toBe(1);
    expect(await effectsFor(REFUSED_PERSON)).toBe(0);
    const inbox = await db.query(`SELECT outcome FROM probe.inbox WHERE message_id = $1`, [refused.id]);
    expect(inbox.rows).toEqual([{ outcome: 'rejected:PROBE_REFUSED' }]);
  });

  it('absorbs a redelivery, and refuses a reused id, that arrive among messages sharing a transaction, applying the others once', async () => {
    const key = randomUUID();
    const first = consentGranted();
    await producer.send({ topic: topics.issuerCommands, acks: -1, messages: [{ key, value: JSON.stringify(first) }] });
    await waitFor(async () => (await effectsFor(first.payload.personId)) === 1, { description: 'the first delivery to be applied' });
    // The same id with other content: no redelivery.
    const reusedId = signer.sign({ ...consentGranted(), id: first.id });
    const others = [consentGranted(), consentGranted(), consentGranted()];
    // One produce request on one key: one batch, whose distinct ids would share a transaction.
    await producer.send({
      topic: topics.issuerCommands,
      acks: -1,
      messages: [others[0], first, others[1], reusedId, others[2]].map((e) => ({ key, value: JSON.stringify(e) })),
    });
    await waitFor(async () => (await effectsFor(others[2].payload.personId)) === 1, { description: 'the last of the batch to be applied' });
    for (const e of others) expect(await effectsFor(e.payload.personId)).toBe(1);
    expect(await effectsFor(first.payload.personId)).toBe(1);
    expect(await effectsFor(reusedId.payload.personId)).toBe(0);
    const inbox = await db.query(`SELECT outcome FROM probe.inbox WHERE message_id = $1`, [first.id]);
    expect(inbox.rows).toEqual([{ outcome: 'processed' }]);
  });

  it('answers a request that waited in its topic past the admission limit SERVICE_BUSY, without taking it', async () => {
    const { replyTopic, replies, reader } = await readReplies('busy-probe');
    try {
      const personId = randomUUID();
      const request = () => buildEnvelope(messageDefinition(LookupPoints.name)!, { assertion: 'not-checked-by-the-probe' }, { key: personId, replyTo: replyTopic });
      const stale = request();
      // Kafka's timestamp says the request has waited a minute in the topic (the probe's limit is 30 s).
      await producer.send({ topic: topics.issuerCommands, acks: -1, messages: [{ key: personId, value: JSON.stringify(stale), timestamp: String(Date.now() - 60_000) }] });
      await waitFor(async () => replies.has(stale.id), { description: 'the stale request to be answered' });
      expect(replies.get(stale.id)).toEqual({
        ok: false,
        error: { code: ErrorCodes.serviceBusy, message: expect.stringMatching(/^busy: the request waited \d+ ms in the queue; retry after 30000 ms$/), retriable: true, retryAfterMs: 30000 },
      });
      expect(await effectsFor(personId)).toBe(0);
      expect((await db.query(`SELECT 1 FROM probe.inbox WHERE message_id = $1`, [stale.id])).rowCount).toBe(0);

      const fresh = request();
      await producer.send({ topic: topics.issuerCommands, acks: -1, messages: [{ key: personId, value: JSON.stringify(fresh) }] });
      await waitFor(async () => replies.has(fresh.id), { description: 'the fresh request to be answered' });
      expect(replies.get(fresh.id)).toEqual({ ok: true, result: { taken: true } });
      expect(await effectsFor(personId)).toBe(1);
    } finally {
      await reader.disconnect();
    }
  });

  it('turns away a newcomer\'s first request that waited past the entry limit, though within the service\'s own', async () => {
    const { replyTopic, replies, reader } = await readReplies('entry-probe');
    try {
      const personId = randomUUID();
      const entry = buildEnvelope(messageDefinition(LookupPoints.name)!, { assertion: 'not-checked-by-the-probe' }, { key: personId, replyTo: replyTopic });
      // 10 s in the topic: past the entry limit (5 s here), within the service's (30 s here).
      await producer.send({ topic: topics.issuerCommands, acks: -1, messages: [{ key: personId, value: JSON.stringify(entry), timestamp: String(Date.now() - 10_000) }] });
      await waitFor(async () => replies.has(entry.id), { description: 'the entry request to be answered' });
      expect(replies.get(entry.id)).toMatchObject({ ok: false, error: { code: ErrorCodes.serviceBusy, message: expect.stringMatching(/^busy: the request waited \d+ ms in the queue/) } });
      expect(await effectsFor(personId)).toBe(0);
    } finally {
      await reader.disconnect();
    }
  });

  it('answers a request SERVICE_BUSY while its type\'s admission gate is closed, without taking it, and takes it once open', async () => {
    const { replyTopic, replies, reader } = await readReplies('gate-probe');
    let closed = true;
    service.runtime.admissionGates.set(LookupPoints.name, () => (closed ? { reason: 'the probe\'s backlog is full', retryAfterMs: 1500 } : undefined));
    try {
      const personId = randomUUID();
      const request = () => buildEnvelope(messageDefinition(LookupPoints.name)!, { assertion: 'not-checked-by-the-probe' }, { key: personId, replyTo: replyTopic });
      const turnedAway = request();
      await producer.send({ topic: topics.issuerCommands, acks: -1, messages: [{ key: personId, value: JSON.stringify(turnedAway) }] });
      await waitFor(async () => replies.has(turnedAway.id), { description: 'the request to be turned away' });
      expect(replies.get(turnedAway.id)).toEqual({
        ok: false,
        error: { code: ErrorCodes.serviceBusy, message: 'busy: the probe\'s backlog is full; retry after 1500 ms', retriable: true, retryAfterMs: 1500 },
      });
      expect(await effectsFor(personId)).toBe(0);
      closed = false;
      const again = request();
      await producer.send({ topic: topics.issuerCommands, acks: -1, messages: [{ key: personId, value: JSON.stringify(again) }] });
      await waitFor(async () => replies.has(again.id), { description: 'the request sent again to be answered' });
      expect(replies.get(again.id)).toEqual({ ok: true, result: { taken: true } });
      expect(await effectsFor(personId)).toBe(1);
    } finally {
      service.runtime.admissionGates.delete(LookupPoints.name);
      await reader.disconnect();
    }
  });

  it('reports the messages of a partition still to be processed as its lag while a batch is being worked on, and none after', async () => {
    const { replyTopic, replies, reader } = await readReplies('lag-probe');
    try {
      const key = randomUUID();
      // The barrier probe alone never sees three in flight: it holds its batch for its 5-s wait.
      const held = buildEnvelope(messageDefinition(LookupPoints.name)!, { assertion: BARRIER_PROBE }, { key, replyTo: replyTopic });
      await producer.send({ topic: topics.issuerCommands, acks: -1, messages: [{ key, value: JSON.stringify(held) }] });
      await waitFor(async () => barrier.inFlight === 1, { description: 'the held request to be in its handler' });
      expect(replies.has(held.id)).toBe(false);
      expect(service.runtime.lagSource?.()).toBeGreaterThanOrEqual(1);
      await waitFor(async () => replies.has(held.id), { timeoutMs: 15_000, description: 'the held request to be answered' });
      await waitFor(async () => service.runtime.lagSource?.() === 0, { description: 'no lag once the batch is done' });
    } finally {
      await reader.disconnect();
    }
  });

  it('runs consecutive requests marked side by side at the same time, each answered once', async () => {
    const { replyTopic, replies, reader } = await readReplies('side-by-side');
    try {
      const key = randomUUID();
      const requests = [1, 2, 3].map(() => buildEnvelope(messageDefinition(LookupPoints.name)!, { assertion: BARRIER_PROBE }, { key, replyTo: replyTopic }));
      await producer.send({ topic: topics.issuerCommands, acks: -1, messages: requests.map((e) => ({ key, value: JSON.stringify(e) })) });
      await waitFor(async () => requests.every((r) => replies.has(r.id)), { description: 'three answers' });
      // Run one after another, the first would have waited alone for the others and seen one in flight.
      expect(requests.map((r) => replies.get(r.id))).toEqual(requests.map(() => ({ ok: true, result: { taken: true, inFlightWithMe: 3 } })));
      expect(await effectsFor(key)).toBe(3);
    } finally {
      await reader.disconnect();
    }
  });

  for (const refused of [REFUSED_BEFORE_WRITING, REFUSED_AFTER_WRITING]) {
    it(`answers every request of a side-by-side chunk once when one is refused (${refused}), keeping none of the refused one's writes`, async () => {
      const { replyTopic, replies, reader } = await readReplies(`chunk-${refused}`);
      try {
        const key = randomUUID();
        const assertions = ['first-lookup-of-chunk', refused, 'second-lookup-of-chunk', 'third-lookup-of-chunk'];
        const requests = assertions.map((assertion) => buildEnvelope(messageDefinition(LookupPoints.name)!, { assertion }, { key, replyTo: replyTopic }));
        await producer.send({ topic: topics.issuerCommands, acks: -1, messages: requests.map((e) => ({ key, value: JSON.stringify(e) })) });
        await waitFor(async () => requests.every((r) => replies.has(r.id)), { description: 'four answers' });
        expect(requests.map((r) => replies.get(r.id)?.ok)).toEqual([true, false, true, true]);
        expect(replies.get(requests[1].id)).toMatchObject({ ok: false, error: { code: 'PROBE_REFUSED' } });
        expect(await effectsFor(key)).toBe(3);
      } finally {
        await reader.disconnect();
      }
    });
  }

  it('shares one transaction among other people\'s messages around a side-by-side one, keeping each person\'s order', async () => {
    const { replyTopic, replies, reader } = await readReplies('waves');
    try {
      const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
      const lookup = (key: string) => buildEnvelope(messageDefinition(LookupPoints.name)!, { assertion: 'lookup-between-consents' }, { key, replyTo: replyTopic });
      const sent = [consentGranted(randomUUID(), a), lookup(b), consentGranted(randomUUID(), c), consentGranted(randomUUID(), a), lookup(a), consentGranted(randomUUID(), a)];
      // One partition, one produce request: the consumer gets them as one batch.
      await producer.send({ topic: topics.issuerCommands, acks: -1, messages: sent.map((e) => ({ key: e.key, partition: 0, value: JSON.stringify(e) })) });
      const effectOf = async (id: string) => (await db.query(`SELECT id::int, tx::text FROM probe.effects WHERE message_id = $1`, [id])).rows[0] as { id: number; tx: string } | undefined;
      await waitFor(async () => (await effectOf(sent[5].id)) !== undefined, { description: 'the last message to be applied' });
      // Answers travel on their own after the commit: the last effect can land before them.
      await waitFor(async () => replies.has(sent[1].id) && replies.has(sent[4].id), { description: 'both lookups to be answered' });
      const [firstA, lookupB, consentC, secondA, lookupA, thirdA] = await Promise.all(sent.map((e) => effectOf(e.id)));
      // The consents ahead of any side-by-side message of their person: one transaction.
      expect(new Set([firstA!.tx, consentC!.tx, secondA!.tx]).size).toBe(1);
      // The two lookups side by side, committed together; the consent after a's lookup waits for it.
      expect(lookupA!.tx).toBe(lookupB!.tx);
      expect(thirdA!.tx).not.toBe(firstA!.tx);
      expect(lookupA!.id).toBeLessThan(thirdA!.id);
      expect(secondA!.id).toBeLessThan(lookupA!.id);
      expect([sent[1], sent[4]].map((r) => replies.get(r.id)?.ok)).toEqual([true, true]);
    } finally {
      await reader.disconnect();
    }
  });

  it('absorbs a side-by-side request delivered again within a chunk, and answers the others in that chunk once', async () => {
    const { replyTopic, replies, reader } = await readReplies('chunk-redelivered');
    try {
      const key = randomUUID();
      const lookup = () => buildEnvelope(messageDefinition(LookupPoints.name)!, { assertion: 'lookup-delivered-again' }, { key, replyTo: replyTopic });
      const [first, second, third] = [lookup(), lookup(), lookup()];
      const send = (envelopes: typeof first[]) => producer.send({ topic: topics.issuerCommands, acks: -1, messages: envelopes.map((e) => ({ key, value: JSON.stringify(e) })) });
      await send([first, second]);
      await waitFor(async () => replies.has(first.id) && replies.has(second.id), { description: 'the first two answered' });
      await send([first, third]);
      await waitFor(async () => replies.has(third.id), { description: 'the third answered' });
      const effects = (await db.query(`SELECT message_id FROM probe.effects WHERE person_id = $1 ORDER BY id`, [key])).rows.map((r) => r.message_id);
      expect(effects).toHaveLength(3);
      expect(new Set(effects)).toEqual(new Set([first.id, second.id, third.id]));
    } finally {
      await reader.disconnect();
    }
  });
});
