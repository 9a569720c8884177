import './ryuk-off';
import net from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { GenericContainer, type StartedTestContainer, type WaitStrategy } from 'testcontainers';
import type Dockerode from 'dockerode';
import { ownerLabels, removeLabelledContainers, TEST_LABEL } from './docker';
import { harnessState } from './global-state';

const KAFKA_IMAGE = process.env.POINTSWEEP_KAFKA_IMAGE ?? 'pointsweep/kafka:test';
const PG_IMAGE = process.env.POINTSWEEP_PG_IMAGE ?? 'pointsweep/postgres:test';
const STARTUP_TIMEOUT_MS = 120_000;

const log = (msg: string) => process.stderr.write(`[harness] ${msg}\n`);

/** A free TCP port on 127.0.0.1, below the ephemeral range so client sockets will not take it meanwhile. */
async function freePort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(port)) continue;
    taken.add(port);
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free loopback port found in 20000-32000');
}

/**
 * Wait strategy that polls `probe` until it resolves, failing early if the container exits and, on the
 * deadline, with the probe's last error.
 */
class ProbeWaitStrategy implements WaitStrategy {
  private timeoutMs = STARTUP_TIMEOUT_MS;
  private timeoutSet = false;

  constructor(
    private readonly description: string,
    private readonly probe: () => Promise<void>,
  ) {}

  withStartupTimeout(ms: number): WaitStrategy {
    this.timeoutMs = ms;
    this.timeoutSet = true;
    return this;
  }
  isStartupTimeoutSet(): boolean {
    return this.timeoutSet;
  }
  getStartupTimeout(): number {
    return this.timeoutMs;
  }

  async waitUntilReady(container: Dockerode.Container): Promise<void> {
    try {
      await poll(this.description, this.probe, this.timeoutMs, async () => {
        const info = await container.inspect();
        if (!info.State.Running) {
          throw new Error(`${this.description}: container exited (code ${info.State.ExitCode}) before it was ready`);
        }
      });
    } catch (err) {
      // Testcontainers removes the container after a failed wait: keep its last log lines in the error.
      throw new Error(`${(err as Error).message}\n--- last container log lines ---\n${await tailLogs(container)}`);
    }
  }
}

/** The last lines of a container's output (Docker's multiplexed log stream, demultiplexed). */
async function tailLogs(container: Dockerode.Container, lines = 40): Promise<string> {
  try {
    const buf = (await container.logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    const parts: string[] = [];
    for (let i = 0; i + 8 <= buf.length; ) {
      const size = buf.readUInt32BE(i + 4);
      parts.push(buf.subarray(i + 8, i + 8 + size).toString('utf8'));
      i += 8 + size;
    }
    return parts.join('');
  } catch (err) {
    return `(logs unavailable: ${String(err)})`;
  }
}

/** Retries `probe` every 200 ms until it resolves; `alive` (checked every 2 s) may abort early by throwing. */
async function poll(
  description: string,
  probe: () => Promise<void>,
  timeoutMs: number,
  alive: () => Promise<void> = async () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let attempt = 0; ; attempt++) {
    try {
      await probe();
      return;
    } catch (err) {
      last = err;
    }
    if (attempt % 10 === 9) await alive();
    if (Date.now() > deadline) throw new Error(`${description}: not ready after ${timeoutMs} ms; last error: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function kafkaReady(brokers: string[]): Promise<void> {
  const kafka = new Kafka({
    clientId: 'harness-ready',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'harness.ready', numPartitions: 1 }], waitForLeaders: true, timeout: 5000 });
    const meta = await admin.fetchTopicMetadata({ topics: ['harness.ready'] });
    if (!meta.topics[0]?.partitions.every((p) => p.leader >= 0)) throw new Error('harness.ready has no leader yet');
    // The first group request creates __consumer_offsets; until its partitions are loaded, JoinGroup fails
    // with "The coordinator is loading". Wait for that here rather than in the first spec.
    await admin.fetchOffsets({ groupId: 'harness.ready', topics: ['harness.ready'] });
    // Likewise InitProducerId of an idempotent producer needs __transaction_state loaded.
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 1, initialRetryTime: 100 } });
    try {
      await producer.connect();
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function pgReady(url: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function startKafka(ports: Set<number>): Promise<{ container: StartedTestContainer; brokers: string }> {
  const port = await freePort(ports);
  const controllerPort = await freePort(ports);
  const brokers = `127.0.0.1:${port}`;
  const t0 = Date.now();
  const container = await new GenericContainer(KAFKA_IMAGE)
    .withNetworkMode('host')
    .withLabels({ ...ownerLabels(), [`${TEST_LABEL}.role`]: 'kafka' })
    .withEnvironment({ KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(controllerPort), KAFKA_OFFSETS_PARTITIONS: '6' })
    .withWaitStrategy(new ProbeWaitStrategy(`Kafka on ${brokers}`, () => kafkaReady([brokers])))
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();
  log(`Kafka ready on ${brokers} in ${Date.now() - t0} ms`);
  return { container, brokers };
}

async function startPostgres(ports: Set<number>): Promise<{ container: StartedTestContainer; url: string }> {
  const port = await freePort(ports);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const t0 = Date.now();
  const container = await new GenericContainer(PG_IMAGE)
    .withNetworkMode('host')
    .withLabels({ ...ownerLabels(), [`${TEST_LABEL}.role`]: 'postgres' })
    .withEnvironment({ PGPORT: String(port) })
    .withWaitStrategy(new ProbeWaitStrategy(`PostgreSQL on 127.0.0.1:${port}`, () => pgReady(url)))
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();
  log(`PostgreSQL ready on 127.0.0.1:${port} in ${Date.now() - t0} ms`);
  return { container, url };
}

export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_KAFKA_BROKERS && process.env.TEST_PG_URL) {
    // Developer fast loop against an already running stack: only check that it answers.
    log(`using TEST_KAFKA_BROKERS=${process.env.TEST_KAFKA_BROKERS} TEST_PG_URL=${process.env.TEST_PG_URL}`);
    const brokers = process.env.TEST_KAFKA_BROKERS.split(',');
    const pgUrl = process.env.TEST_PG_URL;
    await Promise.all([
      poll(`Kafka on ${brokers.join(',')}`, () => kafkaReady(brokers), 60_000),
      poll(`PostgreSQL at ${pgUrl}`, () => pgReady(pgUrl), 60_000),
    ]);
    return;
  }

  const removed = removeLabelledContainers();
  if (removed > 0) log(`removed ${removed} container(s) left by an earlier run`);

  const state = harnessState();
  state.managed = true;
  const ports = new Set<number>();
  const t0 = Date.now();
  const [kafka, pg] = await Promise.allSettled([startKafka(ports), startPostgres(ports)]);
  for (const r of [kafka, pg]) if (r.status === 'fulfilled') state.containers.push(r.value.container);
  if (kafka.status === 'rejected' || pg.status === 'rejected') {
    const reasons = [kafka, pg].filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    // Jest does not run the global teardown when the setup fails: clean up here.
    await Promise.allSettled(state.containers.map((c) => c.stop()));
    state.containers = [];
    removeLabelledContainers();
    throw new Error(`test containers did not start:\n${reasons.join('\n')}`);
  }
  process.env.TEST_KAFKA_BROKERS = kafka.value.brokers;
  process.env.TEST_PG_URL = pg.value.url;
  log(`test stack up in ${Date.now() - t0} ms`);
}
