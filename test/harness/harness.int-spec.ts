import { Client } from 'pg';
import type { Consumer, Producer } from 'kafkajs';
import { createTestDatabase, createTopics, kafkaBrokers, randomName, testKafka, waitFor, type TestDatabase } from './index';

describe('test harness', () => {
  it('names are lowercase and unique', () => {
    const names = new Set(Array.from({ length: 1000 }, () => randomName('Spec File')));
    expect(names.size).toBe(1000);
    for (const n of names) expect(n).toMatch(/^spec_file_[a-z0-9_]+$/);
  });

  it('waitFor returns the first truthy value and names what it waited for on timeout', async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? n : false), { intervalMs: 1 })).resolves.toBe(3);
    await expect(
      waitFor(
        () => {
          throw new Error('boom');
        },
        { timeoutMs: 100, description: 'the impossible' },
      ),
    ).rejects.toThrow(/the impossible.*boom/);
  });

  describe('PostgreSQL', () => {
    let db: TestDatabase;
    afterAll(() => db?.drop());

    it('creates and drops a fresh database', async () => {
      db = await createTestDatabase('harness');
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        const { rows } = await client.query('select current_database() as name');
        expect(rows[0].name).toBe(db.name);
        await client.query('create table t (id int primary key)');
      } finally {
        await client.end();
      }
      await db.drop();
      const admin = new Client({ connectionString: process.env.TEST_PG_URL });
      await admin.connect();
      try {
        const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [db.name]);
        expect(rowCount).toBe(0);
      } finally {
        await admin.end();
      }
    });
  });

  describe('Kafka', () => {
    const kafka = () => testKafka();
    let producer: Producer | undefined;
    let consumer: Consumer | undefined;
    afterAll(async () => {
      await producer?.disconnect();
      await consumer?.disconnect();
    });

    it('delivers a message from an idempotent producer to a consumer group that commits its offset', async () => {
      expect(kafkaBrokers().length).toBeGreaterThan(0);
      const prefix = randomName('harness');
      const [topic] = await createTopics(prefix, ['events']);
      const groupId = `${prefix}.group`;

      producer = kafka().producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const [meta] = await producer.send({
        topic,
        acks: -1,
        messages: [{ key: 'k1', value: JSON.stringify({ hello: 'world' }) }],
      });

      const received: { value: string; partition: number; offset: string }[] = [];
      consumer = kafka().consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic: t, partition, message }) => {
          received.push({ value: message.value!.toString(), partition, offset: message.offset });
          await consumer!.commitOffsets([{ topic: t, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
        },
      });

      const got = await waitFor(() => received[0], { description: `a message on ${topic}`, timeoutMs: 60_000 });
      expect(JSON.parse(got.value)).toEqual({ hello: 'world' });
      expect(got.partition).toBe(meta.partition);

      const admin = kafka().admin();
      await admin.connect();
      try {
        const committed = await waitFor(
          async () => {
            const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
            const p = entry.partitions.find((x) => x.partition === got.partition);
            return p && p.offset === String(BigInt(got.offset) + 1n) ? p : undefined;
          },
          { description: `committed offset of ${groupId}` },
        );
        expect(committed.offset).toBe(String(BigInt(got.offset) + 1n));
      } finally {
        await admin.disconnect();
      }
    });
  });
});
