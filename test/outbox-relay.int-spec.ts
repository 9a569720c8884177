import { randomUUID } from 'node:crypto';
import { Consumer, Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { EnvelopeSigner, generateKeyRing, idempotentProducer, JsonLogger, openDatabase, OutboxRelay, writeToOutbox } from '@pointsweep/messaging';
import { createTestDatabase, createTopics, randomName, testKafka, TestDatabase, waitFor } from './harness';

/** The outbox relay against PostgreSQL and Kafka: order, marking, and one relay per schema. */
describe('the outbox relay', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let producer: Producer;
  let consumer: Consumer;
  let topic: string;
  const received: string[] = [];
  const relays: OutboxRelay[] = [];
  const signer = new EnvelopeSigner(generateKeyRing());
  const logger = new JsonLogger('outbox-relay-spec', 'warn');

  const relay = () => {
    const r = new OutboxRelay(dataSource, producer, logger, { signer, lockKey: `${topic}.outbox`, idleMs: 50 });
    relays.push(r);
    return r;
  };
  const write = async (count: number) => {
    const ids = Array.from({ length: count }, () => randomUUID());
    await dataSource.transaction((tx) => writeToOutbox(tx, ids.map((id) => ({
      topic,
      envelope: { id, type: 'Spec', version: 1, kind: 'event', key: 'k', correlationId: id, occurredAt: new Date().toISOString(), payload: {} },
    }))));
    return ids;
  };
  const unpublished = async () => Number((await dataSource.query(`SELECT count(*) AS n FROM outbox WHERE published_at IS NULL`))[0].n);
  const holdersOfTheLock = async () => Number((await dataSource.query(
    `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid::bigint = (hashtext($1)::bigint & 4294967295)`,
    [`${topic}.outbox`],
  ))[0].n);

  beforeAll(async () => {
    database = await createTestDatabase('relay');
    dataSource = await openDatabase({ url: database.url, schema: 'svc', migrations: [] });
    [topic] = await createTopics(randomName('relay'), ['events'], 1);
    const kafka = testKafka();
    producer = idempotentProducer(kafka);
    await producer.connect();
    consumer = kafka.consumer({ groupId: randomName('relay-spec') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void received.push(JSON.parse(message.value!.toString()).id) });
  });

  afterAll(async () => {
    await Promise.all(relays.map((r) => r.stop()));
    await consumer?.disconnect();
    await producer?.disconnect();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('publishes every row in id order and marks what it sent with its next read, or when it stops', async () => {
    const first = relay();
    const ids = [...await write(3), ...await write(2)];
    expect(await first.relayOnce()).toBe(5);
    await waitFor(() => received.length >= 5, { description: 'the five messages in Kafka' });
    expect(received).toEqual(ids);
    // Sent, not yet marked: the next read marks them and finds nothing else.
    expect(await unpublished()).toBe(5);
    expect(await first.relayOnce()).toBe(0);
    expect(await unpublished()).toBe(0);

    const more = await write(2);
    expect(await first.relayOnce()).toBe(2);
    await first.stop();
    expect(await unpublished()).toBe(0);
    await waitFor(() => received.length >= 7, { description: 'the two more in Kafka' });
    expect(received.slice(5)).toEqual(more);
    // Stopping ended its connection, and with it the lock.
    expect(await holdersOfTheLock()).toBe(0);
  });

  it('lets one relay publish at a time: the other publishes nothing until the holder stops, then takes over', async () => {
    const holder = relay();
    const other = relay();
    const before = received.length;
    await write(2);
    expect(await holder.relayOnce()).toBe(2);
    await write(1);
    expect(await other.relayOnce()).toBe(0);
    expect(await holdersOfTheLock()).toBe(1);

    await holder.stop();
    // The holder marked its two on the way out; the third is the other's now.
    expect(await other.relayOnce()).toBe(1);
    await waitFor(() => received.length >= before + 3, { description: 'all three in Kafka' });
    expect(received.length).toBe(before + 3);
    await other.stop();
    expect(await holdersOfTheLock()).toBe(0);
  });

  it('carries on after its connection is killed: the lock is freed with it and nothing is lost', async () => {
    const survivor = relay();
    const before = received.length;
    await write(1);
    expect(await survivor.relayOnce()).toBe(1);
    await dataSource.query(
      `SELECT pg_terminate_backend(pid, 5000) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid::bigint = (hashtext($1)::bigint & 4294967295)`,
      [`${topic}.outbox`],
    );
    await write(1);
    // The read on the dead connection fails; the next one opens another connection and takes the lock again.
    await expect(survivor.relayOnce()).rejects.toThrow();
    // It marks the first (sent before the kill) and sends the second.
    expect(await survivor.relayOnce()).toBe(1);
    expect(await survivor.relayOnce()).toBe(0);
    expect(await unpublished()).toBe(0);
    await waitFor(() => received.length >= before + 2, { description: 'both in Kafka' });
  });
});
