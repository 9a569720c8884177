// `npm start`: the whole system on its embedded defaults — a local Kafka broker, the machine's PostgreSQL
// (one schema and role per service), the simulators and the four services — then a short demo of one cash-out,
// on a clock pinned to a business day at 10:00 KST. Keeps serving until Ctrl-C.
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import pg from 'pg';
import { lineRelay } from './log-relay.mjs';

const root = resolve(import.meta.dirname, '..');
// KAFKA_NODES=3: a three-broker KRaft cluster (each broker also a controller) on 9092/9094/9096, every topic with
// replication factor 3 and min.insync.replicas 2 (producers already use acks=all; no unclean leader election).
const kafkaNodes = Number(process.env.KAFKA_NODES ?? 1);
if (![1, 3].includes(kafkaNodes)) throw new Error('KAFKA_NODES must be 1 or 3');
const kafkaPorts = Array.from({ length: kafkaNodes }, (_, i) => 9092 + 2 * i);
const dataDir = resolve(root, '.data');
const env = {
  KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? kafkaPorts.map((p) => `127.0.0.1:${p}`).join(','),
  TOPIC_PREFIX: process.env.TOPIC_PREFIX ?? 'pointsweep',
  SIMULATORS_URL: 'http://127.0.0.1:4100',
  // The demo's business morning: payouts settle immediately whatever the real time is.
  CLOCK_START: process.env.CLOCK_START ?? '2026-11-26T10:00:00+09:00',
  // Every process (and every restart of one) shows the same pinned time: the clock stood at CLOCK_START now.
  CLOCK_START_REAL: process.env.CLOCK_START_REAL ?? new Date().toISOString(),
  POINTSWEEP_KEYS_FILE: resolve(root, '.secrets/dev-keys.json'),
  // A service killed with -9 keeps its partitions until the group gives up on it: 10 s instead of kafkajs's 30 s,
  // so a restarted service takes its work back sooner (npm run chaos measures it).
  KAFKA_SESSION_TIMEOUT_MS: process.env.KAFKA_SESSION_TIMEOUT_MS ?? '10000',
};
const pgAdminUrl = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
// The services reach the machine's PostgreSQL through its Unix socket when there is one: every query is a socket
// write, and on loopback TCP the kernel's TCP path made those writes a fifth of a service's CPU (docs/benchmarks.md).
// PG_SOCKET_DIR= (empty) keeps TCP.
const pgSocketDir = process.env.PG_SOCKET_DIR ?? (existsSync('/var/run/postgresql/.s.PGSQL.5432') ? '/var/run/postgresql' : '');
const serviceDatabaseUrl = (schema) => (pgSocketDir
  ? `postgres://pointsweep_${schema}@/pointsweep?host=${pgSocketDir}`
  : `postgres://pointsweep_${schema}@127.0.0.1:5432/pointsweep`);
// A 16-MiB young generation: at 8 MiB issuer-aggregation spent 17 % of its CPU in scavenges under the lookup load
// (32 MiB: +20 % lookups/s but 309 MiB RSS); the old space stays bounded.
const SERVICE_HEAP_FLAGS = (process.env.SERVICE_NODE_FLAGS ?? '--max-semi-space-size=16 --max-old-space-size=200').split(' ').filter(Boolean);
const services = [
  { name: 'identity', schema: 'identity', port: 3001 },
  { name: 'issuer-aggregation', schema: 'issuer', port: 3002 },
  { name: 'conversion-ledger', schema: 'ledger', port: 3003 },
  { name: 'bank-settlement', schema: 'settlement', port: 3004 },
];
const children = [];
const log = (msg) => console.log(`[start] ${msg}`);

function run(name, command, args, extraEnv = {}) {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (stream, out) => {
    const relay = lineRelay(name, (text) => out.write(text));
    stream.on('data', (chunk) => relay.push(chunk));
    stream.on('end', () => relay.flush());
  };
  prefix(child.stdout, process.stdout);
  prefix(child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (stopping) return;
    children.splice(children.indexOf(child), 1);
    // A supervisor: a process that dies (kill -9, a crash) is started again, as `npm run chaos` relies on;
    // one that keeps dying (5 times within a minute) stops everything.
    const now = Date.now();
    const recent = (restarts.get(name) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= 5) {
      log(`${name} exited (${signal ?? code}) ${recent.length + 1} times within a minute; stopping everything`);
      void stop(1);
      return;
    }
    restarts.set(name, [...recent, now]);
    log(`${name} exited (${signal ?? code}); starting it again`);
    setTimeout(() => {
      if (!stopping) run(name, command, args, extraEnv);
    }, 500);
  });
  children.push(child);
  return child;
}
const restarts = new Map();

async function waitForPort(port, what, timeoutMs = 90000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise((ok) => {
      const s = createConnection({ host: '127.0.0.1', port }, () => { s.end(); ok(true); });
      s.on('error', () => ok(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not open port ${port} within ${timeoutMs} ms`);
}

async function waitForReady(url, what, timeoutMs = 90000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} not ready at ${url} within ${timeoutMs} ms`);
}

/** One database, and per service a role owning its own schema (trust auth on this machine's server). */
async function prepareDatabase() {
  const admin = new pg.Client({ connectionString: pgAdminUrl });
  await admin.connect();
  const exists = await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'pointsweep'`);
  if (exists.rowCount === 0) await admin.query('CREATE DATABASE pointsweep');
  await admin.end();
  const db = new pg.Client({ connectionString: pgAdminUrl.replace(/\/[^/]*$/, '/pointsweep') });
  await db.connect();
  for (const s of services) {
    const role = `pointsweep_${s.schema}`;
    await db.query(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role} LOGIN; END IF; END $$`);
    await db.query(`CREATE SCHEMA IF NOT EXISTS ${s.schema} AUTHORIZATION ${role}`);
    await db.query(`GRANT CONNECT ON DATABASE pointsweep TO ${role}`);
  }
  await db.end();
}

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  log('stopping');
  for (const child of [...children].reverse()) child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r)))));
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  mkdirSync(dataDir, { recursive: true });
  log('preparing PostgreSQL: database pointsweep, one schema and role per service');
  await prepareDatabase();
  if (kafkaNodes === 1) {
    log('starting the Kafka broker on 127.0.0.1:9092 (data in .data/kafka)');
    run('kafka', 'bash', [resolve(root, 'deploy/kafka/broker.sh'), resolve(dataDir, 'kafka'), '9092', '9093']);
  } else {
    log(`starting ${kafkaNodes} Kafka brokers on ${kafkaPorts.join(', ')} (data in .data/kafka-cluster)`);
    const voters = kafkaPorts.map((p, i) => `${i + 1}@127.0.0.1:${p + 1}`).join(',');
    // One cluster id for the three, kept with the data so a restarted broker formats nothing.
    const idFile = resolve(dataDir, 'kafka-cluster', 'cluster-id');
    mkdirSync(dirname(idFile), { recursive: true });
    if (!existsSync(idFile)) writeFileSync(idFile, Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url'));
    const clusterEnv = { KAFKA_CLUSTER_ID: readFileSync(idFile, 'utf8').trim(), KAFKA_RF: '3', KAFKA_MIN_ISR: '2' };
    kafkaPorts.forEach((p, i) => run(`kafka-${i + 1}`, 'bash', [
      resolve(root, 'deploy/kafka/broker.sh'), resolve(dataDir, 'kafka-cluster', `node-${i + 1}`), String(p), String(p + 1), String(i + 1), voters,
    ], clusterEnv));
  }
  for (const p of kafkaPorts) await waitForPort(p, 'Kafka');
  run('simulators', 'node', ['services/simulators/dist/main.js'], { SIMULATORS_PORT: '4100', SIMULATORS_STATE_DIR: resolve(dataDir, 'simulators') });
  await waitForReady('http://127.0.0.1:4100/health/ready', 'simulators');
  // INSTANCES=2 runs two of every service (HTTP ports 3001–3004 and 3011–3014): each pair shares its consumer group.
  // INSTANCES_<SERVICE>=N (e.g. INSTANCES_ISSUER_AGGREGATION=2) sets one service's count.
  const instancesOf = (s) => Math.max(1, Number(process.env[`INSTANCES_${s.name.toUpperCase().replace(/-/g, '_')}`] ?? process.env.INSTANCES ?? 1));
  // First instances first (ports 300x, then 301x, ...).
  const processes = Array.from({ length: Math.max(...services.map(instancesOf)) }, (_, i) => services.filter((s) => i < instancesOf(s)).map((s) => ({ s, i }))).flat();
  for (const { s, i } of processes) {
    // V8 grows the heap far beyond what is live under load (issuer-aggregation: 387 MiB heap for 145 MiB used,
    // 487 MiB RSS); a bounded young generation and old space keep each service near its working set.
    run(i === 0 ? s.name : `${s.name}#${i + 1}`, 'node', [...SERVICE_HEAP_FLAGS, `services/${s.name}/dist/main.js`], {
      HTTP_PORT: String(s.port + 10 * i),
      DATABASE_URL: serviceDatabaseUrl(s.schema),
    });
  }
  for (const { s, i } of processes) await waitForReady(`http://127.0.0.1:${s.port + 10 * i}/health/ready`, s.name);
  log('all services ready; running the demo');
  const { PointsweepClient, runDemo } = await import('@pointsweep/client');
  const client = await PointsweepClient.connect({ brokers: env.KAFKA_BROKERS.split(','), topicPrefix: env.TOPIC_PREFIX, clientId: `demo-${process.pid}` });
  const settled = await runDemo(client, env.SIMULATORS_URL, (line) => console.log(`[demo] ${line}`));
  await client.close();
  log(`demo finished: cash-out ${settled.state}. Serving until Ctrl-C (health: http://127.0.0.1:3001/health/ready ... :3004).`);
} catch (error) {
  console.error(`[start] failed: ${error.stack ?? error}`);
  await stop(1);
}
