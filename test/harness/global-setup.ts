import './ryuk-off';
import { Client } from 'pg';
import { GenericContainer, type StartedTestContainer } from 'testcontainers';
import { ownerLabels, removeLabelledContainers, TEST_LABEL } from './docker';
import { harnessState } from './global-state';
import { freePort, kafkaReady, log, poll, ProbeWaitStrategy, startKafka, STARTUP_TIMEOUT_MS } from './kafka-containers';

const PG_IMAGE = process.env.POINTSWEEP_PG_IMAGE ?? 'pointsweep/postgres:test';

async function pgReady(url: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => undefined);
  }
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
