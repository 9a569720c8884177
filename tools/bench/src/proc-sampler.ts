import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** Which processes to watch: a name and a test on the command line (or a fixed pid). */
export interface ProcessMatcher {
  name: string;
  pid?: number;
  cmdline?: RegExp;
  /** Match on /proc/<pid>/comm instead (e.g. every `postgres` backend). */
  comm?: string;
  /** Only processes that are this pid or its children (e.g. the machine's postmaster, not a container's). */
  parentPid?: number;
}

/** The postmaster of the machine's own PostgreSQL (from its pid file), so containers' servers are not counted. */
function hostPostmasterPid(): number | undefined {
  try {
    const dir = '/var/run/postgresql';
    const file = readdirSync(dir).find((f) => f.endsWith('.pid'));
    return file ? Number(readFileSync(`${dir}/${file}`, 'utf8').split('\n')[0]) : undefined;
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** The `npm start` stack: the four services, the simulators, the Kafka broker, PostgreSQL and the bench itself. */
export function stackProcessMatchers(): ProcessMatcher[] {
  return [
    ...['identity', 'issuer-aggregation', 'conversion-ledger', 'bank-settlement', 'simulators'].map((s) => ({
      name: s,
      cmdline: new RegExp(`services/${s}/dist/main\\.js`),
    })),
    // The stack's own broker (its data under .data/kafka), not another broker running in a container.
    { name: 'kafka', cmdline: /java.*kafka\.Kafka .*\.data\/kafka(-cluster\/node-\d+)?\// },
    { name: 'postgres (all)', comm: 'postgres', parentPid: hostPostmasterPid() },
    // npm start's supervisor relays every process's log lines: 2.5–2.8 CPU-s in a 90-s sweep run (not npm's shell).
    { name: 'npm start (log relay)', cmdline: /^node scripts\/start\.mjs/ },
    { name: 'bench (this)', pid: process.pid },
  ];
}

export interface ProcessFigures {
  name: string;
  pids: number[];
  peakRssMiB: number;
  /** CPU seconds over the whole sampling. */
  cpuSeconds: number;
  /** CPU seconds inside the steady window. */
  steadyCpuSeconds: number;
  /** Average share of one core inside the steady window (100 = one full core). */
  steadyCpuPercent: number;
}

interface GroupState {
  pids: Set<number>;
  cumulativeTicks: number;
  peakRssKiB: number;
  series: { t: number; ticks: number }[];
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

function readProc(pid: number): { ticks: number; rssKiB: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return { ticks, rssKiB: m ? Number(m[1]) : 0 };
  } catch {
    return undefined; // the process exited between listing and reading
  }
}

/** Machine-wide busy and total jiffies from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/**
 * Samples VmRSS and utime+stime of the matching processes every interval (re-listing /proc each time, so
 * PostgreSQL backends that come and go are counted), plus the machine's overall busy share.
 */
export class ProcessSampler {
  private readonly groups = new Map<string, GroupState>();
  private readonly lastTicks = new Map<number, number>();
  private readonly machine: { t: number; busy: number; total: number }[] = [];
  private timer?: NodeJS.Timeout;
  private first = true;

  constructor(
    private readonly matchers: ProcessMatcher[],
    private readonly intervalMs = 1000,
  ) {
    for (const m of matchers) this.groups.set(m.name, { pids: new Set(), cumulativeTicks: 0, peakRssKiB: 0, series: [] });
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
  }

  private matchPids(): Map<string, number[]> {
    const found = new Map<string, number[]>();
    const needsScan = this.matchers.some((m) => m.pid === undefined);
    const entries = needsScan ? readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number) : [];
    for (const m of this.matchers) {
      if (m.pid !== undefined) {
        found.set(m.name, [m.pid]);
        continue;
      }
      const pids: number[] = [];
      for (const pid of entries) {
        try {
          if (m.parentPid !== undefined && pid !== m.parentPid && parentOf(pid) !== m.parentPid) continue;
          if (m.comm && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === m.comm) pids.push(pid);
          else if (m.cmdline && m.cmdline.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '))) pids.push(pid);
        } catch {
          /* gone */
        }
      }
      found.set(m.name, pids);
    }
    return found;
  }

  private sample(): void {
    const t = Date.now();
    for (const [name, pids] of this.matchPids()) {
      const g = this.groups.get(name)!;
      let rss = 0;
      for (const pid of pids) {
        const p = readProc(pid);
        if (!p) continue;
        g.pids.add(pid);
        rss += p.rssKiB;
        const last = this.lastTicks.get(pid);
        // A process first seen after the start began during the run: all its CPU counts.
        if (last !== undefined) g.cumulativeTicks += p.ticks - last;
        else if (!this.first) g.cumulativeTicks += p.ticks;
        this.lastTicks.set(pid, p.ticks);
      }
      g.peakRssKiB = Math.max(g.peakRssKiB, rss);
      g.series.push({ t, ticks: g.cumulativeTicks });
    }
    const m = machineTicks();
    this.machine.push({ t, ...m });
    this.first = false;
  }

  private static at(series: { t: number; ticks: number }[], t: number): number {
    let best = series[0]?.ticks ?? 0;
    for (const s of series) if (s.t <= t) best = s.ticks;
    return best;
  }

  figures(window: { from: number; to: number }): { processes: ProcessFigures[]; machineBusyPercent: number } {
    const hz = ticksPerSecond();
    const seconds = Math.max(0.001, (window.to - window.from) / 1000);
    const processes = [...this.groups.entries()].map(([name, g]) => {
      const steadyTicks = ProcessSampler.at(g.series, window.to) - ProcessSampler.at(g.series, window.from);
      return {
        name,
        pids: [...g.pids],
        peakRssMiB: g.peakRssKiB / 1024,
        cpuSeconds: g.cumulativeTicks / hz,
        steadyCpuSeconds: steadyTicks / hz,
        steadyCpuPercent: (steadyTicks / hz / seconds) * 100,
      };
    });
    const inWindow = this.machine.filter((s) => s.t >= window.from && s.t <= window.to);
    const a = inWindow[0];
    const b = inWindow[inWindow.length - 1];
    const machineBusyPercent = a && b && b.total > a.total ? ((b.busy - a.busy) / (b.total - a.total)) * 100 : Number.NaN;
    return { processes, machineBusyPercent };
  }
}
