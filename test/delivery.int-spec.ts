import { randomUUID } from 'node:crypto';
import { Controller, DynamicModule, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { Client } from 'pg';
import { MigrationInterface, QueryRunner } from 'typeorm';
import { ConsentGranted, messageDefinition, topicsFor } from '@pointsweep/contracts';
import {
  buildEnvelope, generateKeyRing, MessageContext, MessagingRuntime, OnEvent, PlatformModule, RunningService, ServiceConfig,
  ServiceDefinition, startService, systemClock,
} from '@pointsweep/messaging';
import { createTestDatabase, kafkaBrokers, randomName, TestDatabase, waitFor } from './harness';

class ProbeTables1764000009000 implements MigrationInterface {
  name = 'ProbeTables1764000009000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE effects (id bigserial PRIMARY KEY, message_id uuid NOT NULL, person_id uuid NOT NULL)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE effects`);
  }
}

/** A handler whose effect has no natural uniqueness: only the inbox stands between a redelivery and a second effect. */
@Controller()
class RecordEveryConsentHandler {
  @OnEvent('ConsentGranted')
  async handle(@Payload() event: ConsentGranted, @Ctx() ctx: MessageContext): Promise<void> {
    await ctx.tx.query(`INSERT INTO effects (message_id, person_id) VALUES ($1, $2)`, [ctx.envelope.id, event.personId]);
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

  beforeAll(async () => {
    database = await createTestDatabase('delivery');
    service = await startService(probeService, {
      kafkaBrokers: kafkaBrokers(), topicPrefix: prefix, databaseUrl: database.url, httpPort: 0,
      simulatorsUrl: 'http://127.0.0.1:9', clock: systemClock, keys: generateKeyRing(),
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

  const consentGranted = (personId = randomUUID()) =>
    buildEnvelope(messageDefinition('ConsentGranted')!, { personId, ci: 'Q2lUZXN0Q2lUZXN0Q2lUZXN0', issuer: 'KB' }, { key: personId });

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
      const after = consentGranted();
      await producer.send({
        topic: topics.issuerCommands,
        acks: -1,
        messages: [
          { key, value: Buffer.from([0xff, 0xfe, 0x00, 0x41]) },
          { key, value: 'this is not json' },
          { key, value: JSON.stringify(missingField) },
          { key, value: JSON.stringify(futureVersion) },
          { key, value: JSON.stringify(after) },
        ],
      });
      await waitFor(async () => (await effectsFor(after.payload.personId)) === 1, { description: 'the valid message behind the poison to be applied' });
      await waitFor(() => deadLetters.length >= 4, { description: 'four dead letters' });
      const reasons = deadLetters.map((d) => `${d.reason.code}: ${d.reason.message}`);
      expect(reasons).toEqual([
        'INVALID_MESSAGE: message is not valid UTF-8',
        'INVALID_MESSAGE: message is not JSON',
        expect.stringMatching(/^INVALID_MESSAGE: ConsentGranted payload is invalid: personId/),
        'UNSUPPORTED_MESSAGE_VERSION: ConsentGranted version 99 is not supported (expected 1)',
      ]);
      expect(deadLetters.every((d) => d.source.topic === topics.issuerCommands)).toBe(true);
      const ready = await fetch(`${service.url}/health/ready`);
      expect(ready.status).toBe(200);
    } finally {
      await dlq.disconnect();
    }
  });
});
