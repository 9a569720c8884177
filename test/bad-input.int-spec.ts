import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Consumer, Kafka, logLevel, Producer } from 'kafkajs';
import { Client } from 'pg';
import { MessageEnvelope, messageDefinition, ReplyPayload } from '@pointsweep/contracts';
import { buildEnvelope, createTopicsAndWait, DeadLetter, EnvelopeSigner, MessageErrorCodes, systemClock } from '@pointsweep/messaging';
import { buildCorpus, COMMAND_TOPICS, CommandTopic, CorpusEntry, entryKey } from './corpus/hostile-messages';
import { kafkaBrokers, randomName, waitFor } from './harness';
import { onboardPerson, TestPerson } from './system/person';
import { startTestSystem, TestSystem } from './system/system';

/**
 * A valid command of each command topic, queued behind the hostile ones; each must still get its (ok) reply.
 * The operator commands are signed with the services' key ring, as the operator's tool does.
 */
function validCommand(topic: CommandTopic, person: TestPerson, replyTo: string, signer: EnvelopeSigner): MessageEnvelope {
  const [type, payload] = ({
    identityCommands: ['GrantConsent', { assertion: person.assertion, issuer: 'KB' }],
    issuerCommands: ['LookupPoints', { assertion: person.assertion }],
    ledgerCommands: ['ListManualReview', { operator: 'corpus.ops' }],
    settlementCommands: ['ReleaseDuePayouts', { operator: 'corpus.ops' }],
  } as const)[topic];
  return signer.sign(buildEnvelope(messageDefinition(type)!, payload, { key: 'corpus', replyTo })) as MessageEnvelope;
}

describe('bad input: a hostile corpus on every command topic', () => {
  let system: TestSystem;
  let person: TestPerson;
  let kafka: Kafka;
  let producer: Producer;
  const consumers: Consumer[] = [];
  let db: Client;
  const replies = new Map<string, MessageEnvelope<ReplyPayload>>();
  const deadLetters: DeadLetter[] = [];

  beforeAll(async () => {
    // The corpus floods each partition on purpose, and the valid commands queued behind it must be answered,
    // not shed as busy: admission is measured by the benchmark, not here.
    system = await startTestSystem({ clock: systemClock, admissionMaxQueueMs: 10 * 60_000 });
    person = await onboardPerson(system.client, system.simulatorsUrl, ['KB']);
    kafka = new Kafka({ brokers: kafkaBrokers(), clientId: 'bad-input-spec', logLevel: logLevel.NOTHING });
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    db = new Client({ connectionString: system.database.url });
    await db.connect();
  });

  afterAll(async () => {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    await producer?.disconnect();
    await db?.end();
    await system?.close();
  });

  async function listen(topic: string, onMessage: (value: Buffer) => void): Promise<void> {
    const consumer = kafka.consumer({ groupId: randomName('bad-input-reader'), maxWaitTimeInMs: 50 });
    consumers.push(consumer);
    await consumer.connect();
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { if (message.value) onMessage(message.value); } });
    await joined;
  }

  it('answers every hostile message with its code, stays up and serves the valid messages queued behind them', async () => {
    const topics = system.services.get('identity')!.runtime.topics;
    const replyTo = `${system.prefix}.replies.${randomName('corpus')}`;
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsAndWait(admin, [{ topic: replyTo, numPartitions: 1 }]);
    await admin.disconnect();
    await listen(replyTo, (value) => {
      const reply = JSON.parse(value.toString()) as MessageEnvelope<ReplyPayload>;
      if (reply.causationId) replies.set(reply.causationId, reply);
    });
    await listen(topics.deadLetter, (value) => void deadLetters.push(JSON.parse(value.toString())));

    const signer = new EnvelopeSigner(system.keys);
    const corpus = buildCorpus({ prefix: system.prefix, replyTo, assertion: person.assertion, personId: person.personId, now: new Date(), signer });
    // Replayed ids with other content: a valid command, then the same envelope id with another payload.
    const reused: { entry: CorpusEntry; first: MessageEnvelope }[] = [];
    for (const topic of COMMAND_TOPICS) {
      const first = validCommand(topic, person, replyTo, signer);
      if (topic === 'identityCommands') (first.payload as { issuer: string }).issuer = 'HANA';
      const other = { ...first, payload: { ...first.payload } } as MessageEnvelope;
      if (topic === 'identityCommands') (other.payload as { issuer: string }).issuer = 'SHINHAN';
      else if (topic === 'issuerCommands') (other.payload as { assertion: string }).assertion = `${person.assertion.slice(0, -4)}AAAA`;
      else (other.payload as { operator: string }).operator = 'someone.else';
      if (other.signature) Object.assign(other, signer.sign(other)); // an operator reusing an id, not a forgery
      reused.push({ first, entry: { name: 'same id, other content', topic, value: Buffer.from(JSON.stringify(other)), envelopeId: other.id, expectedCode: MessageErrorCodes.idReused } });
    }
    const entries = [...corpus, ...reused.map((r) => r.entry)];
    const byKey = new Map<string, CorpusEntry>();
    for (const e of entries) {
      const key = entryKey(topics[e.topic], e.value);
      expect(byKey.has(key)).toBe(false); // every entry is told apart by its bytes
      byKey.set(key, e);
    }
    expect(corpus.length).toBeGreaterThanOrEqual(200);

    // Send: per topic, in order on one partition (one key), a valid command after every 10 hostile ones.
    const valid: MessageEnvelope[] = [];
    const started = Date.now();
    await Promise.all(COMMAND_TOPICS.map(async (topic) => {
      const mine = corpus.filter((e) => e.topic === topic);
      const send = (value: Buffer) => producer.send({ topic: topics[topic], acks: -1, messages: [{ key: 'corpus', value }] });
      for (const [i, entry] of mine.entries()) {
        await send(entry.value); // one by one: a 900 KiB message must not share a request with others
        if (i % 10 === 9) {
          const command = validCommand(topic, person, replyTo, signer);
          valid.push(command);
          await send(Buffer.from(JSON.stringify(command)));
        }
      }
      const pair = reused.find((r) => r.entry.topic === topic)!;
      valid.push(pair.first);
      await send(Buffer.from(JSON.stringify(pair.first)));
      await send(pair.entry.value);
      const last = validCommand(topic, person, replyTo, signer);
      valid.push(last);
      await send(Buffer.from(JSON.stringify(last)));
    }));
    const sent = Date.now();

    // Every valid command behind the corpus was served.
    await waitFor(() => valid.every((v) => replies.has(v.id)), {
      timeoutMs: 120_000, intervalMs: 250, description: 'replies to every valid command queued behind the corpus',
    });
    const servedAt = Date.now();
    for (const v of valid) expect(replies.get(v.id)!.payload).toMatchObject({ ok: true });

    // Every hostile message has its code, in a reply or a dead letter.
    // Every hostile message has its code, in a reply or a dead letter (matched by envelope id, or by topic and bytes).
    const index = () => {
      const map = new Map<CorpusEntry, string[]>();
      for (const e of entries) map.set(e, []);
      for (const e of entries) {
        const reply = e.envelopeId ? replies.get(e.envelopeId) : undefined;
        if (reply && !reply.payload.ok && reply.causationId === e.envelopeId) map.get(e)!.push(`reply:${reply.payload.error!.code}`);
      }
      for (const d of deadLetters) {
        const e = byKey.get(`${d.source.topic}#${d.originalSha256}`);
        if (e) map.get(e)!.push(`dead-letter:${d.reason.code}`);
      }
      return map;
    };
    const missing = () => [...index()].filter(([e, codes]) => !codes.some((c) => c.endsWith(`:${e.expectedCode}`)));
    await waitFor(() => missing().length === 0, {
      timeoutMs: 60_000, intervalMs: 500,
      description: 'every hostile message answered with its expected code',
    }).catch((error) => {
      const report = missing().slice(0, 20).map(([e, codes]) => `${e.topic} ${e.name}: expected ${e.expectedCode}, got ${codes.join(', ') || 'nothing'}`);
      throw new Error(`${(error as Error).message}\n${report.join('\n')}`);
    });

    // The services stay up.
    for (const service of system.services.values()) {
      const ready = await fetch(`${service.url}/health/ready`);
      expect(ready.status).toBe(200);
    }

    // The second message with a reused id had no effect, and got no reply of its own.
    const consents = await db.query(`SELECT issuer FROM identity.consents WHERE person_id = $1 ORDER BY issuer`, [person.personId]);
    expect(consents.rows.map((r) => r.issuer)).toEqual(['HANA', 'KB']);
    for (const r of reused) expect(replies.get(r.first.id)!.payload.ok).toBe(true);

    // Outcome counts, for docs/reliability.md.
    const outcomes = index();
    const byCode: Record<string, { messages: number; replies: number; deadLetters: number }> = {};
    for (const [e, codes] of outcomes) {
      const row = (byCode[e.expectedCode] ??= { messages: 0, replies: 0, deadLetters: 0 });
      row.messages++;
      if (codes.includes(`reply:${e.expectedCode}`)) row.replies++;
      if (codes.includes(`dead-letter:${e.expectedCode}`)) row.deadLetters++;
    }
    const perTopic = Object.fromEntries(COMMAND_TOPICS.map((t) => [t, entries.filter((e) => e.topic === t).length]));
    const summary = {
      hostileMessages: entries.length, corpusEntries: corpus.length, idReuse: reused.length, validMessages: valid.length, perTopic, byCode,
      sendMs: sent - started, allValidServedMs: servedAt - started,
    };
    writeFileSync(join(tmpdir(), 'pointsweep-bad-input-outcomes.json'), JSON.stringify(summary, null, 2));
    process.stderr.write(`bad-input outcomes: ${JSON.stringify(summary)}\n`);
  }, 240_000);
});
