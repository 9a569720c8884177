import { Admin, Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { MessageEnvelope, Topics, topicsFor } from '@pointsweep/contracts';
import { Clock } from './clock';
import { JsonLogger, kafkaLogCreator } from './logger';
import { OutboxRelay } from './outbox';
import { createTopicsAndWait } from './topics-admin';
import { DEAD_LETTER_RETENTION_MS } from './retention';
import { EnvelopeSigner } from './envelope-signing';

export interface RuntimeOptions {
  service: string;
  kafkaBrokers: string[];
  topicPrefix: string;
  dataSource: DataSource;
  clock: Clock;
  /** Signs what the service sends and checks what only services and operators may send. */
  signer: EnvelopeSigner;
  logger?: JsonLogger;
  topicPartitions?: number;
}

export type ReadinessCheck = () => Promise<{ ok: boolean; detail?: unknown }>;
/** Asked for each request of its type before it is taken, with the request's validated payload. */
export type AdmissionGate = (payload: object) => { reason: string; retryAfterMs: number } | undefined;

/** The shared plumbing of one service process: Kafka, the database, the outbox relay, the clock, metrics. */
export class MessagingRuntime {
  readonly topics: Topics;
  readonly logger: JsonLogger;
  readonly metrics = new Registry();
  readonly processed: Counter<'type' | 'outcome'>;
  readonly deadLettered: Counter<'reason'>;
  readonly consumerLag: Gauge;
  readonly relay: OutboxRelay;
  readonly readinessChecks = new Map<string, ReadinessCheck>();
  /**
   * Admission gates by request type: a gate that answers with a reason and a retry-after turns the request away
   * SERVICE_BUSY before it is taken (the service's own backlog is full, so accepting more would only queue it).
   */
  readonly admissionGates = new Map<string, AdmissionGate>();
  /** Set by the transport once its consumer runs; read when /metrics is scraped. */
  lagSource?: () => number;
  /** Set by the transport once its consumer runs: this instance's share of a topic's partitions, if known. */
  partitionShareSource?: (topic: string) => number | undefined;
  private admin?: Admin;

  private constructor(
    readonly options: RuntimeOptions,
    readonly kafka: Kafka,
    readonly producer: Producer,
  ) {
    this.topics = topicsFor(options.topicPrefix);
    this.logger = options.logger ?? new JsonLogger(options.service);
    this.relay = new OutboxRelay(options.dataSource, producer, this.logger, {
      signer: options.signer,
      lockKey: `${options.service}.outbox`,
      replyTopicPrefix: `${options.topicPrefix}.replies.`,
    });
    collectDefaultMetrics({ register: this.metrics });
    this.processed = new Counter({ name: 'pointsweep_messages_processed_total', help: 'Messages handled', labelNames: ['type', 'outcome'], registers: [this.metrics] });
    this.deadLettered = new Counter({ name: 'pointsweep_dead_letters_total', help: 'Messages sent to the dead-letter topic', labelNames: ['reason'], registers: [this.metrics] });
    this.consumerLag = new Gauge({
      name: 'pointsweep_consumer_lag_max',
      help: 'Most messages still to be processed in one partition: the rest of the batch in hand and what lay beyond it at its fetch',
      registers: [this.metrics],
      collect: () => this.consumerLag.set(this.lagSource?.() ?? 0),
    });
  }

  static async create(options: RuntimeOptions): Promise<MessagingRuntime> {
    const kafka = new Kafka({
      clientId: options.service,
      brokers: options.kafkaBrokers,
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(options.logger ?? new JsonLogger(options.service)),
      retry: { retries: 8, initialRetryTime: 100 },
    });
    const producer = idempotentProducer(kafka);
    await producer.connect();
    const runtime = new MessagingRuntime(options, kafka, producer);
    await runtime.ensureTopics();
    return runtime;
  }

  get dataSource(): DataSource {
    return this.options.dataSource;
  }

  get clock(): Clock {
    return this.options.clock;
  }

  get signer(): EnvelopeSigner {
    return this.options.signer;
  }

  async ensureTopics(): Promise<void> {
    const admin = await this.kafkaAdmin();
    // Dead letters are kept as long as they could be replayed; other topics take the broker's retention.
    const deadLetterRetention = [{ name: 'retention.ms', value: String(DEAD_LETTER_RETENTION_MS) }];
    await createTopicsAndWait(admin, Object.values(this.topics).map((topic) => ({
      topic,
      numPartitions: this.options.topicPartitions ?? 6,
      ...(topic === this.topics.deadLetter ? { configEntries: deadLetterRetention } : {}),
    })));
  }

  async kafkaAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  /** Sends straight to Kafka (not through the outbox): for dead letters, whose payload may not even be JSON. */
  async publishDirect(topic: string, key: string | null, value: Buffer | string, headers: Record<string, string>): Promise<void> {
    await this.producer.send({ topic, acks: -1, messages: [{ key, value, headers }] });
  }

  /**
   * The share of a topic's messages this instance handles: its partitions over the topic's. 1 until its consumer has
   * joined the group (the one instance, as far as it knows).
   */
  partitionShare(topic: string): number {
    return this.partitionShareSource?.(topic) ?? 1;
  }

  async readiness(): Promise<{ ok: boolean; checks: Record<string, { ok: boolean; detail?: unknown }> }> {
    const checks: Record<string, { ok: boolean; detail?: unknown }> = {};
    const all: [string, ReadinessCheck][] = [
      ['database', async () => { await this.dataSource.query('SELECT 1'); return { ok: true }; }],
      ['kafka', async () => {
        const cluster = await (await this.kafkaAdmin()).describeCluster();
        return { ok: cluster.brokers.length > 0, detail: { brokers: cluster.brokers.length } };
      }],
      ...this.readinessChecks.entries(),
    ];
    await Promise.all(all.map(async ([name, check]) => {
      try {
        checks[name] = await withTimeout(check(), 2000);
      } catch (error) {
        checks[name] = { ok: false, detail: (error as Error).message };
      }
    }));
    return { ok: Object.values(checks).every((c) => c.ok), checks };
  }

  async close(): Promise<void> {
    await this.relay.stop();
    await this.admin?.disconnect();
    await this.producer.disconnect();
  }

  logFor(envelope: MessageEnvelope): JsonLogger {
    return this.logger.child({ correlationId: envelope.correlationId, messageId: envelope.id, type: envelope.type });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

/** acks=all is set per send; idempotence needs unlimited retries, so time bounds them instead. */
export function idempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 30000, initialRetryTime: 100 },
  });
}
