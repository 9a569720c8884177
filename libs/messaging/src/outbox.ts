import { EntityManager, DataSource } from 'typeorm';
import { Producer } from 'kafkajs';
import { MessageEnvelope } from '@pointsweep/contracts';
import { JsonLogger } from './logger';
import { PollingLoop } from './polling-loop';
import { crashPoint } from './crash-point';
import { queryCommitting, separateConnection, ServiceDatabaseClient } from './database';
import type { EnvelopeSigner } from './envelope-signing';

export interface PendingMessage {
  topic: string;
  envelope: MessageEnvelope<any>;
}

/** An envelope as a Kafka message: keyed as the envelope says, its type and correlation id as headers. */
export function kafkaMessageOf(envelope: MessageEnvelope<object>): { key: string; value: string; headers: Record<string, string> } {
  return { key: envelope.key, value: JSON.stringify(envelope), headers: { 'message-type': envelope.type, 'correlation-id': envelope.correlationId } };
}

/** Messages grouped by topic, in order, for one `sendBatch`. */
export function topicMessagesOf(messages: PendingMessage[]): { topic: string; messages: ReturnType<typeof kafkaMessageOf>[] }[] {
  const byTopic = new Map<string, ReturnType<typeof kafkaMessageOf>[]>();
  for (const m of messages) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), kafkaMessageOf(m.envelope)]);
  return [...byTopic].map(([topic, list]) => ({ topic, messages: list }));
}

/**
 * The outbox rows for these messages as a VALUES list, parameters numbered from firstParameter: for folding the
 * outbox write into a larger statement (one round trip instead of two).
 */
export function outboxValuesOf(messages: PendingMessage[], firstParameter = 1): { sql: string; values: unknown[] } {
  const values: unknown[] = [];
  const rows = messages.map((m, i) => {
    values.push(m.envelope.id, m.topic, m.envelope.key, m.envelope.type, JSON.stringify(m.envelope));
    const b = firstParameter + i * 5;
    return `($${b}::uuid, $${b + 1}::text, $${b + 2}::text, $${b + 3}::text, $${b + 4}::jsonb)`;
  });
  return { sql: `VALUES ${rows.join(', ')}`, values };
}

export const OUTBOX_COLUMNS = 'outbox (message_id, topic, message_key, message_type, value)';

/**
 * Writes messages in the caller's transaction, so a state change and its messages commit together. As the
 * transaction's last statement it can carry the COMMIT (queryCommitting): the caller then commits as usual.
 */
export async function writeToOutbox(tx: EntityManager, messages: PendingMessage[], options: { last?: boolean } = {}): Promise<void> {
  if (messages.length === 0) return;
  const { sql, values } = outboxValuesOf(messages);
  const insert = `INSERT INTO ${OUTBOX_COLUMNS} ${sql}`;
  if (options.last && tx.queryRunner) await queryCommitting(tx.queryRunner, insert, values);
  else await tx.query(insert, values);
}

/** Marks sent rows published ($1: their ids). */
const MARK_SENT = `UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])`;

/**
 * Publishes committed outbox rows with an idempotent producer (acks=all), in id order, one relay per schema at a time.
 * A crash after sending but before marking re-sends the rows; consumers' inboxes absorb the duplicates.
 *
 * One statement per batch: the relay holds a session-level advisory lock on a connection of its own (so it needs no
 * transaction to hold it), and marks the rows it sent with the next batch's read. A transaction per batch — begin,
 * read, mark, commit — was four round trips, and the relays' were 30 % of all the services' statements
 * (docs/benchmarks.md, session 13).
 */
export class OutboxRelay {
  private readonly loop: PollingLoop;
  private readonly batchSize: number;
  private connection?: ServiceDatabaseClient;
  private locked = false;
  /** Rows sent but not yet marked published: marked by the next read (or at stop). */
  private sentNotMarked: string[] = [];
  relayed = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: Producer,
    logger: JsonLogger,
    private readonly options: { signer: EnvelopeSigner; batchSize?: number; idleMs?: number; lockKey: string; replyTopicPrefix?: string },
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.loop = new PollingLoop('outbox relay', async () => (await this.relayOnce()) >= this.batchSize, logger, options.idleMs ?? 250);
  }

  start(): void {
    this.loop.start();
  }

  /** Called after a commit that wrote outbox rows: publish now rather than at the next poll. */
  kick(): void {
    this.loop.kick();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    if (this.connection && this.sentNotMarked.length > 0) {
      // Left unmarked if this fails, they are sent again by the next relay; the inboxes absorb them.
      await this.connection.query(MARK_SENT, [this.sentNotMarked]).then(() => void (this.sentNotMarked = []), () => undefined);
    }
    await this.dropConnection();
  }

  /** Publishes one batch; returns how many rows it published (0 while another relay holds the lock). */
  async relayOnce(): Promise<number> {
    let rows: { id: string; topic: string; value: MessageEnvelope }[];
    try {
      const connection = await this.lockedConnection();
      if (!connection) return 0;
      // The CTE's update and the read see the same snapshot: the rows just marked still look unpublished to the
      // read, so it leaves them out by id. The stored envelope carries its own key (message_key is the same value).
      rows = (await connection.query(
        `WITH marked AS (${MARK_SENT})
         SELECT id, topic, value FROM outbox WHERE published_at IS NULL AND NOT (id = ANY($1::bigint[])) ORDER BY id LIMIT $2`,
        [this.sentNotMarked, this.batchSize],
      )).rows;
      this.sentNotMarked = [];
    } catch (error) {
      // Ending the connection frees the lock whatever state the session was in; the next tick opens another.
      await this.dropConnection();
      throw error;
    }
    if (rows.length === 0) return 0;
    // Replies go out only after everything else is acknowledged: a caller who has its answer can count on the
    // events of that answer being in their topics already (e.g. a consent before the lookup sent right after it).
    // Signed on the way out (the table is the service's own): every receiver can tell it came from a service.
    const signed = (envelope: MessageEnvelope) => (envelope.kind === 'reply' ? envelope : this.options.signer.sign(envelope));
    const batches = topicMessagesOf(rows.map((row) => ({ topic: row.topic, envelope: signed(row.value) })));
    const replyPrefix = this.options.replyTopicPrefix;
    const isReply = (topic: string) => replyPrefix !== undefined && topic.startsWith(replyPrefix);
    const effects = batches.filter((b) => !isReply(b.topic));
    const replies = batches.filter((b) => isReply(b.topic));
    if (effects.length > 0) await this.producer.sendBatch({ acks: -1, topicMessages: effects });
    if (replies.length > 0) await this.producer.sendBatch({ acks: -1, topicMessages: replies });
    crashPoint('outbox-after-publish');
    this.sentNotMarked = rows.map((r) => r.id);
    this.relayed += rows.length;
    return rows.length;
  }

  /** The relay's own connection once it holds the schema's relay lock; undefined while another relay holds it. */
  private async lockedConnection(): Promise<ServiceDatabaseClient | undefined> {
    if (!this.connection) {
      const connection = separateConnection(this.dataSource);
      this.connection = connection;
      await connection.connect();
    }
    if (!this.locked) {
      const result = await this.connection.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [this.options.lockKey]);
      this.locked = result.rows[0].locked === true;
    }
    return this.locked ? this.connection : undefined;
  }

  private async dropConnection(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.locked = false;
    await connection?.end().catch(() => undefined);
  }
}
