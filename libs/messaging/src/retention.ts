import { DataSource } from 'typeorm';
import { TIMESTAMP_RULE } from './envelopes';
import { JsonLogger } from './logger';
import { PollingLoop } from './polling-loop';

const DAY_MS = 24 * 60 * 60_000;

export interface RetentionOptions {
  /** Published outbox rows older than this (by published_at) are deleted. Unpublished rows are never touched. */
  outboxMaxAgeMs: number;
  /**
   * Inbox rows older than this (by processed_at) are deleted. Must exceed the longest time a message may still be
   * redelivered and accepted: the timestamp rule refuses messages older than TIMESTAMP_RULE.maxAgeMs, so the inbox
   * must keep ids longer than that, or a late redelivery would find its id forgotten and apply twice.
   */
  inboxMaxAgeMs: number;
  /** How often the job runs. */
  intervalMs: number;
  /** Rows deleted per statement, so one run never holds long locks. */
  batchSize: number;
}

/** Dead letters stay on their topic as long as they could still be replayed (the timestamp rule's maximum age). */
export const DEAD_LETTER_RETENTION_MS = TIMESTAMP_RULE.maxAgeMs;

export const DEFAULT_RETENTION: RetentionOptions = {
  outboxMaxAgeMs: 7 * DAY_MS,
  inboxMaxAgeMs: 14 * DAY_MS,
  intervalMs: 10 * 60_000,
  batchSize: 5000,
};

/** RETENTION_OUTBOX_DAYS, RETENTION_INBOX_DAYS, RETENTION_INTERVAL_SECONDS (defaults: 7, 14, 600). */
export function retentionFromEnv(env: Record<string, string | undefined>): RetentionOptions {
  const number = (name: string, fallback: number) => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not "${text}"`);
    return value;
  };
  return {
    ...DEFAULT_RETENTION,
    outboxMaxAgeMs: number('RETENTION_OUTBOX_DAYS', DEFAULT_RETENTION.outboxMaxAgeMs / DAY_MS) * DAY_MS,
    inboxMaxAgeMs: number('RETENTION_INBOX_DAYS', DEFAULT_RETENTION.inboxMaxAgeMs / DAY_MS) * DAY_MS,
    intervalMs: number('RETENTION_INTERVAL_SECONDS', DEFAULT_RETENTION.intervalMs / 1000) * 1000,
  };
}

/** Refuses a configuration under which the inbox would forget ids that may still be redelivered. */
export function checkRetention(options: RetentionOptions, maxMessageAgeMs = TIMESTAMP_RULE.maxAgeMs): void {
  if (options.inboxMaxAgeMs <= maxMessageAgeMs) {
    throw new Error(`inbox retention (${options.inboxMaxAgeMs} ms) must exceed the maximum message age the consumers accept (${maxMessageAgeMs} ms)`);
  }
  if (options.outboxMaxAgeMs <= 0 || options.batchSize <= 0 || options.intervalMs <= 0) throw new Error('retention ages, interval and batch size must be positive');
}

/**
 * Deletes published outbox rows and inbox rows past their age, in the service's own schema, one instance at a
 * time (advisory lock). It knows two tables by name, outbox and inbox, and nothing else: ledger tables are never
 * touched (and the ledger's own tables refuse DELETE anyway). Ages are judged by the database's clock, the same
 * clock that stamped published_at and processed_at.
 */
export class RetentionJob {
  private readonly loop: PollingLoop;
  readonly options: RetentionOptions;
  deleted = { outbox: 0, inbox: 0 };

  constructor(
    private readonly dataSource: DataSource,
    logger: JsonLogger,
    options: Partial<RetentionOptions> = {},
    private readonly lockKey = 'retention',
  ) {
    this.options = { ...DEFAULT_RETENTION, ...options };
    checkRetention(this.options);
    this.loop = new PollingLoop('retention', async () => {
      const removed = await this.runOnce();
      if (removed.outbox + removed.inbox > 0) logger.info('retention removed old rows', removed);
      return removed.outbox >= this.options.batchSize || removed.inbox >= this.options.batchSize;
    }, logger, this.options.intervalMs);
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** One pass: at most one batch from each table. Returns how many rows went. */
  async runOnce(): Promise<{ outbox: number; inbox: number }> {
    return this.dataSource.transaction(async (tx) => {
      const [{ locked }] = await tx.query(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked`, [this.lockKey]);
      if (!locked) return { outbox: 0, inbox: 0 };
      const outbox = deletedCount(await tx.query(
        `DELETE FROM outbox WHERE id IN (
           SELECT id FROM outbox WHERE published_at IS NOT NULL AND published_at < now() - make_interval(secs => $1) ORDER BY id LIMIT $2)
         RETURNING id`,
        [this.options.outboxMaxAgeMs / 1000, this.options.batchSize],
      ));
      const inbox = deletedCount(await tx.query(
        `DELETE FROM inbox WHERE (consumer, message_id) IN (
           SELECT consumer, message_id FROM inbox WHERE processed_at < now() - make_interval(secs => $1) LIMIT $2)
         RETURNING message_id`,
        [this.options.inboxMaxAgeMs / 1000, this.options.batchSize],
      ));
      this.deleted.outbox += outbox;
      this.deleted.inbox += inbox;
      return { outbox, inbox };
    });
  }
}

/** TypeORM answers a DELETE with [rows, affected]; anything else with the rows. */
function deletedCount(result: unknown): number {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[1];
  return Array.isArray(result) ? result.length : 0;
}
