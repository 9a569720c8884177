import { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { JsonLogger } from './logger';
import { crashPoint } from './crash-point';

export interface ConsumerLoopOptions {
  groupId: string;
  topics: string[];
  partitionsConsumedConcurrently?: number;
  fromBeginning?: boolean;
  sessionTimeoutMs?: number;
}

/** Handles a run of consecutive messages of one partition, in order; when it returns, all of them are done. */
export type MessageProcessor = (messages: KafkaMessage[], topic: string, partition: number) => Promise<void>;

/** At most this many messages go to the processor at once (and so share one database transaction at most). */
const CHUNK = 100;

/**
 * Offsets of finished batches wait up to this long and go to the broker together, in one request for every partition:
 * one commit per batch per partition was a large share of the broker's requests under load. A crash or a rebalance
 * in between redelivers what was done since, and the inbox absorbs it.
 */
const COMMIT_EVERY_MS = 250;

/**
 * Our own kafkajs loop: offsets are committed only after the processor has made the effect durable,
 * unlike Nest's Kafka server, which auto-commits. Messages of one partition run in order.
 */
export class ConsumerLoop {
  private consumer?: Consumer;
  /** The next offset to commit, per partition, for work done but not yet committed. */
  private readonly uncommitted = new Map<string, { topic: string; partition: number; offset: string }>();
  private commitTimer?: NodeJS.Timeout;
  lag = new Map<string, number>();
  /** This member's partitions of each topic since the last rebalance (none known before the first). */
  assignment: Record<string, number[]> = {};

  constructor(
    private readonly kafka: Kafka,
    private readonly options: ConsumerLoopOptions,
    private readonly process: MessageProcessor,
    private readonly logger: JsonLogger,
  ) {}

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30000,
      heartbeatInterval: Math.min(3000, Math.floor((this.options.sessionTimeoutMs ?? 30000) / 3)),
      maxWaitTimeInMs: 100,
      retry: { retries: 10 },
    });
    this.consumer = consumer;
    // After a rebalance, offsets of partitions now another member's are not ours to commit.
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const assigned = payload.memberAssignment as Record<string, number[]>;
      this.assignment = assigned;
      for (const [key, pending] of this.uncommitted) {
        if (!assigned[pending.topic]?.includes(pending.partition)) this.uncommitted.delete(key);
      }
    });
    await consumer.connect();
    // Right after a topic is created, a broker other than the one that confirmed its leaders may not know it yet
    // ("does not host this topic-partition", retriable): ask again for a bounded time.
    for (let delay = 100, deadline = Date.now() + 30_000; ; delay = Math.min(2000, delay * 2)) {
      try {
        await consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning ?? true });
        break;
      } catch (error) {
        if (!(error as { retriable?: boolean }).retriable || Date.now() + delay > deadline) throw error;
        this.logger.warn('subscribing failed; asking again', { error: (error as Error).message, topics: this.options.topics });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // As many as a topic has partitions: handlers that call out run one at a time per partition, so under load
      // a service that took three at a time fell behind on latency, not on CPU (a surge tipped identity over).
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 6,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        let sinceCommit = 0;
        // What is still to be done in this partition: the rest of the batch counts, not only what lies beyond it
        // (a batch usually holds all there was, so the lag after it alone read 0 under any load).
        const key = `${batch.topic}/${batch.partition}`;
        const remainingAfter = (offset: string) => Number(BigInt(batch.highWatermark) - BigInt(offset) - 1n);
        if (batch.messages.length > 0) this.lag.set(key, remainingAfter(batch.messages[0].offset) + 1);
        for (let from = 0; from < batch.messages.length; from += CHUNK) {
          // After a rebalance this batch may belong to another member now: stop, it will redeliver.
          if (!isRunning() || isStale()) break;
          const chunk = batch.messages.slice(from, from + CHUNK);
          await this.process(chunk, batch.topic, batch.partition);
          crashPoint('after-effect-before-offset-commit');
          const last = chunk[chunk.length - 1].offset;
          resolveOffset(last);
          this.uncommitted.set(key, { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() });
          this.lag.set(key, remainingAfter(last));
          sinceCommit += chunk.length;
          if (sinceCommit >= 50) {
            await this.commitUncommitted();
            sinceCommit = 0;
          }
          await heartbeat();
        }
        if (isStale()) this.uncommitted.delete(key);
        else this.commitSoon();
        this.lag.set(key, Number(batch.offsetLag()));
      },
    });
    this.logger.info('consumer started', { groupId: this.options.groupId, topics: this.options.topics });
  }

  private commitSoon(): void {
    this.commitTimer ??= setTimeout(() => {
      this.commitTimer = undefined;
      this.commitUncommitted().catch((error) => this.logger.warn('committing offsets failed; the work since will be redelivered', { error: (error as Error).message }));
    }, COMMIT_EVERY_MS);
  }

  /** Commits every partition's finished work in one request. */
  private async commitUncommitted(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer || this.uncommitted.size === 0) return;
    const offsets = [...this.uncommitted.values()];
    this.uncommitted.clear();
    await consumer.commitOffsets(offsets);
  }

  maxLag(): number {
    return Math.max(0, ...this.lag.values());
  }

  async stop(): Promise<void> {
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    await this.commitUncommitted().catch((error) => this.logger.warn('committing offsets at stop failed', { error: (error as Error).message }));
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }
}
