/**
 * Helpers for integration specs (*.int-spec.ts). The global setup (global-setup.ts) starts one Kafka
 * broker and one PostgreSQL per test run and exports their addresses as TEST_KAFKA_BROKERS and
 * TEST_PG_URL; each spec file takes its own database (createTestDatabase) and topic prefix (randomName).
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

let counter = 0;

/** A unique lowercase name, e.g. randomName('Ledger') -> 'ledger_m3k2x9_a1b2c3_1'. Safe as a topic or database name. */
export function randomName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'x';
  const head = /^[a-z_]/.test(clean) ? clean : `t_${clean}`;
  return `${head}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}_${++counter}`;
}

function requiredEnv(name: 'TEST_KAFKA_BROKERS' | 'TEST_PG_URL'): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run integration specs through jest's integration project (test/harness/global-setup.ts), ` +
        'or export TEST_KAFKA_BROKERS and TEST_PG_URL for an already running stack',
    );
  }
  return value;
}

/** The test broker addresses, e.g. ['127.0.0.1:39092']. */
export function kafkaBrokers(): string[] {
  return requiredEnv('TEST_KAFKA_BROKERS')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Connection URL of the test PostgreSQL server's maintenance database. */
export function pgAdminUrl(): string {
  return requiredEnv('TEST_PG_URL');
}

export interface TestDatabase {
  /** postgres://… URL of the new database. */
  url: string;
  name: string;
  /** Drops the database, terminating connections still open to it. */
  drop(): Promise<void>;
}

async function withAdmin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: pgAdminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates a fresh database with a random name on the test PostgreSQL (use one per spec file). */
export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  const name = randomName(prefix);
  await withAdmin((c) => c.query(`create database "${name}"`));
  const url = new URL(pgAdminUrl());
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await withAdmin((c) => c.query(`drop database if exists "${name}" with (force)`));
    },
  };
}

export interface WaitForOptions {
  /** Deadline in ms (default 30 000). */
  timeoutMs?: number;
  /** Pause between probes in ms (default 50). */
  intervalMs?: number;
  /** What is awaited, for the error message. */
  description?: string;
}

function show(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    const s = JSON.stringify(value);
    return s === undefined ? String(value) : s.length > 500 ? `${s.slice(0, 500)}…` : s;
  } catch {
    return String(value);
  }
}

/**
 * Polls `probe` until it returns (or resolves to) a truthy value and returns that value. A probe that
 * throws is retried. On the deadline, throws an error naming `description` and the last value or error.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  opts: WaitForOptions = {},
): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 50, description = 'condition' } = opts;
  const started = Date.now();
  let last: { value: unknown } | { error: unknown } = { value: undefined };
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      const value = await probe();
      if (value) return value as T;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() - started + intervalMs > timeoutMs) {
      const detail = 'error' in last ? `last error: ${show(last.error)}` : `last value: ${show(last.value)}`;
      const err = new Error(`waitFor: ${description} not met within ${timeoutMs} ms (${attempts} attempts); ${detail}`);
      if ('error' in last) (err as Error & { cause?: unknown }).cause = last.error;
      throw err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A kafkajs client for the test broker (quiet: errors only). */
export function testKafka(clientId = randomName('test-client')): Kafka {
  return new Kafka({ clientId, brokers: kafkaBrokers(), logLevel: logLevel.ERROR });
}

/**
 * Creates topics `${prefix}.${name}` (3 partitions each; names already carrying the prefix are kept) and waits for their leaders; returns the full
 * topic names in the order given.
 */
export async function createTopics(prefix: string, names: string[], partitions = 3): Promise<string[]> {
  const topics = names.map((n) => (n.startsWith(`${prefix}.`) ? n : `${prefix}.${n}`));
  const admin = testKafka('harness-admin').admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: partitions })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  return topics;
}
