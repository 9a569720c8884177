/**
 * Kafka in containers, from the locally built image: the global setup's single broker, and the
 * three-broker KRaft cluster a spec starts for itself (test/cluster.int-spec.ts).
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { GenericContainer, type StartedTestContainer, type WaitStrategy } from 'testcontainers';
import type Dockerode from 'dockerode';
import { ownerLabels, TEST_LABEL } from './docker';

export const KAFKA_IMAGE = process.env.POINTSWEEP_KAFKA_IMAGE ?? 'pointsweep/kafka:test';
export const STARTUP_TIMEOUT_MS = 120_000;

export const log = (msg: string) => process.stderr.write(`[harness] ${msg}\n`);

/** A free TCP port on 127.0.0.1, below the ephemeral range so client sockets will not take it meanwhile. */
export async function freePort(taken: Set<number>): Promise<number> {
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
export class ProbeWaitStrategy implements WaitStrategy {
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
export async function poll(
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

export async function kafkaReady(brokers: string[]): Promise<void> {
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

export async function startKafka(ports: Set<number>): Promise<{ container: StartedTestContainer; brokers: string }> {
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

export interface KafkaCluster {
  /** Every broker's address, for bootstrap lists. */
  brokers: string[];
  containers: StartedTestContainer[];
  /** SIGKILL to one broker (by index): no controlled shutdown, no leadership hand-over. */
  kill(index: number): void;
  stop(): Promise<void>;
}

/**
 * Three KRaft nodes, each broker and controller, as production would run them: replication factor 3,
 * min.insync.replicas 2 (topics and the internal ones), no unclean leader election (deploy/kafka/broker.sh).
 */
export async function startKafkaCluster(ports = new Set<number>()): Promise<KafkaCluster> {
  const clientPorts: number[] = [];
  const controllerPorts: number[] = [];
  for (let i = 0; i < 3; i++) {
    clientPorts.push(await freePort(ports));
    controllerPorts.push(await freePort(ports));
  }
  const voters = controllerPorts.map((p, i) => `${i + 1}@127.0.0.1:${p}`).join(',');
  const brokers = clientPorts.map((p) => `127.0.0.1:${p}`);
  const clusterId = randomBytes(16).toString('base64url');
  const t0 = Date.now();
  const started = await Promise.allSettled(clientPorts.map((port, i) => new GenericContainer(KAFKA_IMAGE)
    .withNetworkMode('host')
    .withLabels({ ...ownerLabels(), [`${TEST_LABEL}.role`]: `kafka-cluster-${i + 1}` })
    .withEnvironment({ KAFKA_CLUSTER_ID: clusterId, KAFKA_RF: '3', KAFKA_MIN_ISR: '2', KAFKA_OFFSETS_PARTITIONS: '6', KAFKA_HEAP_OPTS: '-Xms128m -Xmx384m' })
    .withCommand(['bash', '/opt/kafka/broker.sh', '/var/lib/kafka', String(port), String(controllerPorts[i]), String(i + 1), voters])
    // Each node is ready when the cluster is: a replicated topic, a group and an idempotent producer work through it.
    .withWaitStrategy(new ProbeWaitStrategy(`Kafka node ${i + 1} on ${brokers[i]}`, () => kafkaReady([brokers[i]])))
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start()));
  const containers = started.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<StartedTestContainer>).value);
  const stop = async () => {
    await Promise.allSettled(containers.map((c) => c.stop({ timeout: 0, remove: true })));
  };
  const failed = started.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
  if (failed.length > 0) {
    await stop();
    throw new Error(`Kafka cluster did not start:\n${failed.map((f) => String(f.reason)).join('\n')}`);
  }
  log(`Kafka cluster of 3 ready on ${brokers.join(',')} in ${Date.now() - t0} ms`);
  return {
    brokers,
    containers,
    kill: (index) => execFileSync('docker', ['kill', '--signal', 'KILL', containers[index].getId()], { stdio: 'ignore' }),
    stop,
  };
}
