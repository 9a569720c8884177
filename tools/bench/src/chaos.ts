import { execFileSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchOptions, BenchResult, BenchTarget, runBench } from './run-bench';
import { fmt, prng } from './stats';

/** What `npm run chaos` may kill: the four services (kill -9) and the Kafka broker (kill -9 of its JVM). */
export const CHAOS_VICTIMS = ['identity', 'issuer-aggregation', 'conversion-ledger', 'bank-settlement', 'kafka'] as const;
export type ChaosVictim = (typeof CHAOS_VICTIMS)[number];

export interface ChaosOptions {
  /** Mean seconds between kills; each wait is drawn uniformly from half to one and a half times this. */
  intervalSeconds: number;
  victims: ChaosVictim[];
  seed: number;
  /** Health endpoint per service, to time each recovery. */
  healthUrls: Record<string, string>;
  kafkaPort: number;
}

export interface ChaosKill {
  atSecond: number;
  victim: ChaosVictim;
  pid: number;
  /** From the kill until the restarted process answered ready (services) or took connections (Kafka). */
  recoveredMs: number | null;
}

export interface ChaosResult {
  kills: ChaosKill[];
  bench: BenchResult;
}

/** The pid of the stack's process for a victim: a service's dist/main.js, or the broker whose data is .data/kafka. */
function pidOf(victim: ChaosVictim): number | undefined {
  const pattern = victim === 'kafka' ? 'java.*kafka\\.Kafka .*\\.data/kafka/' : `services/${victim}/dist/main\\.js`;
  try {
    const out = execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' });
    return out.split('\n').map(Number).find((n) => n > 0 && n !== process.pid);
  } catch {
    return undefined;
  }
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

async function ready(victim: ChaosVictim, options: ChaosOptions, killedPid: number): Promise<boolean> {
  const pid = pidOf(victim);
  if (pid === undefined || pid === killedPid) return false;
  if (victim === 'kafka') return portOpen(options.kafkaPort);
  try {
    return (await fetch(`${options.healthUrls[victim]}/health/ready`)).ok;
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
  const load = runBench(bench, target, log);
  let loadDone = false;
  void load.finally(() => {
    loadDone = true;
  });
  const recoveries: Promise<void>[] = [];
  for (;;) {
    const wait = options.intervalSeconds * 1000 * (0.5 + random());
    if (Date.now() + wait > arrivalsEnd || loadDone) break;
    await sleep(wait);
    const victim = options.victims[Math.floor(random() * options.victims.length)];
    const pid = pidOf(victim);
    if (pid === undefined) {
      log(`chaos: no ${victim} process to kill (still restarting?)`);
      continue;
    }
    process.kill(pid, 'SIGKILL');
    const kill: ChaosKill = { atSecond: Math.round((Date.now() - started) / 1000), victim, pid, recoveredMs: null };
    kills.push(kill);
    log(`chaos: killed ${victim} (pid ${pid}) with SIGKILL at ${kill.atSecond} s`);
    const killedAt = Date.now();
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
  return { kills, bench: await load };
}

export function chaosMarkdown(r: ChaosResult, command: string, benchSection: string): string {
  const b = r.bench;
  const lines = [
    `### Chaos run — ${b.startedAt} (${b.runId})`,
    '',
    `- Command: \`${command}\``,
    `- Load: ${b.options.people} people over ${b.options.durationSeconds} s (${fmt(b.cashOuts.settledPerSecondOverall, 1)} parts/s overall), ` +
      `${b.cashOuts.accepted} cash-outs with ${b.cashOuts.parts} parts; ${r.kills.length} kills`,
    `- People: ${b.people.finished} finished, ${b.people.failed} failed${b.people.failed ? ` (${JSON.stringify(b.people.failures)})` : ''}; ` +
      `retries ${Object.keys(b.retries).length ? JSON.stringify(b.retries) : 'none'}`,
    `- Accepted → terminal: p50 ${fmt(b.cashOuts.acceptedToTerminalMs.p50)} ms, p99 ${fmt(b.cashOuts.acceptedToTerminalMs.p99)} ms, max ${fmt(b.cashOuts.acceptedToTerminalMs.max)} ms`,
    `- **Audit: ${b.audit.ok ? 'PASSED' : 'FAILED'}**`,
    '',
    '| second | killed (SIGKILL) | pid | ready again after |',
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
