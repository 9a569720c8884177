import { execFileSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { simulatorAdmin } from '@pointsweep/client';
import { BenchOptions, BenchResult, BenchTarget, runBench } from './run-bench';
import { fmt, prng } from './stats';

/**
 * What `npm run chaos` may kill: the four services (kill -9), a Kafka broker (kill -9 of its JVM), and — only when
 * asked for — the machine's PostgreSQL (an immediate-mode restart: no checkpoint, crash recovery on start).
 */
export const CHAOS_VICTIMS = ['identity', 'issuer-aggregation', 'conversion-ledger', 'bank-settlement', 'kafka', 'postgres'] as const;
export type ChaosVictim = (typeof CHAOS_VICTIMS)[number];
export const DEFAULT_CHAOS_VICTIMS: ChaosVictim[] = ['identity', 'issuer-aggregation', 'conversion-ledger', 'bank-settlement', 'kafka'];

export interface ChaosOptions {
  /** Mean seconds between kills; each wait is drawn uniformly from half to one and a half times this. */
  intervalSeconds: number;
  victims: ChaosVictim[];
  seed: number;
  /** Health endpoint per service, to time each recovery. */
  healthUrls: Record<string, string>;
  /** Every broker's client port (KAFKA_NODES=3 npm start: three; a kill hits one of them). */
  kafkaPorts: number[];
  /** A card company answering slower than its timeout for the whole run. */
  slowIssuer?: string;
  /** A card company whose outage switches on and off every 5 s for the whole run. */
  flappingIssuer?: string;
  simulatorsUrl: string;
  /** Instances of every service (`INSTANCES=2 npm start`: HTTP ports 30x1 and 30x1 + 10). */
  instances: number;
}

export interface ChaosKill {
  atSecond: number;
  victim: ChaosVictim;
  pid: number;
  /** From the kill until the restarted process answered ready (services) or took connections (Kafka). */
  recoveredMs: number | null;
}

export interface ChaosResult {
  instances: number;
  brokers: number;
  slowIssuer?: string;
  flappingIssuer?: string;
  kills: ChaosKill[];
  bench: BenchResult;
}

/** The stack's processes for a victim: a service's dist/main.js (every instance), or the broker of .data/kafka. */
function pidsOf(victim: ChaosVictim): number[] {
  if (victim === 'postgres') return postmasterPid();
  const pattern = victim === 'kafka' ? 'java.*kafka\\.Kafka .*\\.data/kafka(-cluster/node-[0-9]+)?/' : `services/${victim}/dist/main\\.js`;
  try {
    const out = execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' });
    return out.split('\n').map(Number).filter((n) => n > 0 && n !== process.pid);
  } catch {
    return [];
  }
}

/** The machine's cluster as pg_lsclusters lists it (Debian), e.g. ['15', 'main']. */
function pgCluster(): [string, string] {
  const line = execFileSync('pg_lsclusters', ['-h'], { encoding: 'utf8' }).trim().split('\n')[0] ?? '';
  const [version, name] = line.split(/\s+/);
  if (!version || !name) throw new Error('no PostgreSQL cluster found by pg_lsclusters');
  return [version, name];
}

function postmasterPid(): number[] {
  try {
    const [version, name] = pgCluster();
    const pid = Number(execFileSync('head', ['-1', `/var/lib/postgresql/${version}/${name}/postmaster.pid`], { encoding: 'utf8' }).trim());
    return pid > 0 ? [pid] : [];
  } catch {
    return [];
  }
}

function instanceUrls(base: string, instances: number): string[] {
  const url = new URL(base);
  return Array.from({ length: instances }, (_, i) => `${url.protocol}//${url.hostname}:${Number(url.port) + 10 * i}`);
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => {
      s.end();
      ok(true);
    });
    s.on('error', () => ok(false));
  });
}

/** Every instance is back (the killed pid replaced) and answers ready; the broker takes connections. */
async function ready(victim: ChaosVictim, options: ChaosOptions, killedPid: number): Promise<boolean> {
  const pids = pidsOf(victim);
  const expected = victim === 'kafka' ? options.kafkaPorts.length : victim === 'postgres' ? 1 : options.instances;
  if (pids.includes(killedPid) || pids.length < expected) return false;
  if (victim === 'kafka') return (await Promise.all(options.kafkaPorts.map(portOpen))).every(Boolean);
  if (victim === 'postgres') return portOpen(5432);
  try {
    const answers = await Promise.all(instanceUrls(options.healthUrls[victim], options.instances).map((u) => fetch(`${u}/health/ready`)));
    return answers.every((a) => a.ok);
  } catch {
    return false;
  }
}

/**
 * The benchmark's load at a moderate rate while, at random moments, one process of the running stack is killed
 * with SIGKILL (mid-saga, mid-relay, mid-batch: wherever it happens to be). `npm start` supervises its children and
 * starts a killed one again. After the load, the bench's audit decides: every request terminal or scheduled, every
 * journal balanced, no won paid twice, nothing the bench saw accepted missing.
 */
export async function runChaos(bench: Partial<BenchOptions>, target: BenchTarget, options: ChaosOptions, log: (line: string) => void): Promise<ChaosResult> {
  const random = prng(options.seed); // a run's kill schedule can be repeated
  const kills: ChaosKill[] = [];
  const started = Date.now();
  const arrivalsEnd = started + (bench.durationSeconds ?? 60) * 1000;
  const faults = (issuer: string, body: object) => simulatorAdmin(options.simulatorsUrl, `/admin/issuers/${issuer}/faults`, body);
  if (options.slowIssuer) await faults(options.slowIssuer, { latencyMs: 5000 });
  const load = runBench(bench, target, log);
  let loadDone = false;
  void load.finally(() => {
    loadDone = true;
  });
  const recoveries: Promise<void>[] = [];
  let flapping: NodeJS.Timeout | undefined;
  if (options.flappingIssuer) {
    let down = false;
    const issuer = options.flappingIssuer;
    flapping = setInterval(() => {
      down = !down;
      faults(issuer, down ? { outage: true } : {}).catch((error: Error) => log(`chaos: ${error.message}`));
    }, 5000);
  }
  for (;;) {
    const wait = options.intervalSeconds * 1000 * (0.5 + random());
    if (Date.now() + wait > arrivalsEnd || loadDone) break;
    await sleep(wait);
    const victim = options.victims[Math.floor(random() * options.victims.length)];
    const candidates = pidsOf(victim);
    const pid = candidates[Math.floor(random() * candidates.length)];
    if (pid === undefined) {
      log(`chaos: no ${victim} process to kill (still restarting?)`);
      continue;
    }
    const killedAt = Date.now();
    if (victim === 'postgres') {
      // Nobody supervises the machine's server for us: restart it abruptly (immediate mode) and let it recover.
      const [version, name] = pgCluster();
      execFileSync('pg_ctlcluster', [version, name, 'restart', '-m', 'immediate'], { stdio: 'ignore' });
    } else {
      process.kill(pid, 'SIGKILL');
    }
    const kill: ChaosKill = { atSecond: Math.round((killedAt - started) / 1000), victim, pid, recoveredMs: null };
    kills.push(kill);
    log(`chaos: killed ${victim} (pid ${pid}) at ${kill.atSecond} s`);
    recoveries.push((async () => {
      const deadline = killedAt + 120_000;
      while (Date.now() < deadline) {
        if (await ready(victim, options, pid)) {
          kill.recoveredMs = Date.now() - killedAt;
          log(`chaos: ${victim} ready again after ${kill.recoveredMs} ms`);
          return;
        }
        await sleep(200);
      }
    })());
  }
  await Promise.all(recoveries);
  const figures = await load;
  clearInterval(flapping);
  for (const issuer of [options.slowIssuer, options.flappingIssuer]) if (issuer) await faults(issuer, {});
  return { instances: options.instances, brokers: options.kafkaPorts.length, slowIssuer: options.slowIssuer, flappingIssuer: options.flappingIssuer, kills, bench: figures };
}

export function chaosMarkdown(r: ChaosResult, command: string, benchSection: string): string {
  const b = r.bench;
  const lines = [
    `### Chaos run — ${b.startedAt} (${b.runId})`,
    '',
    `- Command: \`${command}\``,
    `- Load: ${b.options.people} people over ${b.options.durationSeconds} s (${fmt(b.cashOuts.settledPerSecondOverall, 1)} parts/s overall), ` +
      `${b.cashOuts.accepted} cash-outs with ${b.cashOuts.parts} parts; ${r.instances} instance(s) of every service, ${r.brokers} Kafka broker(s); ${r.kills.length} kills`,
    `- People: ${b.people.finished} finished, ${b.people.failed} failed${b.people.failed ? ` (${JSON.stringify(b.people.failures)})` : ''}; ` +
      `retries ${Object.keys(b.retries).length ? JSON.stringify(b.retries) : 'none'}`,
    `- Accepted → terminal: p50 ${fmt(b.cashOuts.acceptedToTerminalMs.p50)} ms, p99 ${fmt(b.cashOuts.acceptedToTerminalMs.p99)} ms, max ${fmt(b.cashOuts.acceptedToTerminalMs.max)} ms`,
    ...(r.slowIssuer || r.flappingIssuer
      ? [`- Card companies: ${r.slowIssuer ? `${r.slowIssuer} answers after 5 s (above its timeout) the whole run` : ''}${r.slowIssuer && r.flappingIssuer ? '; ' : ''}${r.flappingIssuer ? `${r.flappingIssuer} goes down and up every 5 s` : ''}; ` +
        `lookup latency p50 ${fmt(b.lookups.latencyMs.p50)} ms, p99 ${fmt(b.lookups.latencyMs.p99)} ms; program statuses by card company: ${JSON.stringify(b.lookups.statusesByIssuer)}`]
      : []),
    `- **Audit: ${b.audit.ok ? 'PASSED' : 'FAILED'}**`,
    '',
    '| second | killed (SIGKILL; postgres: immediate-mode restart) | pid | ready again after |',
    '| --- | --- | --- | --- |',
    ...r.kills.map((k) => `| ${k.atSecond} | ${k.victim} | ${k.pid} | ${k.recoveredMs === null ? 'not within 120 s' : `${fmt(k.recoveredMs)} ms`} |`),
    '',
    '<details><summary>the bench\'s full figures for this run</summary>',
    '',
    benchSection,
    '',
    '</details>',
    '',
  ];
  return lines.join('\n');
}
