import { DataSource } from 'typeorm';
import { JsonLogger } from './logger';
import { PollingLoop } from './polling-loop';

/**
 * auto: vacuum and analyze only when the server's autovacuum is off; always: whatever the server does; off: never.
 */
export type UpkeepMode = 'auto' | 'always' | 'off';

export interface UpkeepOptions {
  mode: UpkeepMode;
  intervalMs: number;
  /** A table is vacuumed once it holds this many dead rows plus deadShare of its live rows. */
  minDeadRows: number;
  deadShare: number;
  /** And analyzed once this many rows plus modifiedShare of its live rows changed since its last analyze. */
  minModifiedRows: number;
  modifiedShare: number;
}

export const DEFAULT_UPKEEP: UpkeepOptions = {
  mode: 'auto',
  intervalMs: 5000,
  // The outbox is a queue: the relay's index scan walks every dead row left in the unpublished index.
  minDeadRows: 1000,
  deadShare: 0.05,
  minModifiedRows: 1000,
  modifiedShare: 0.1,
};

/** TABLE_UPKEEP (auto | always | off) and TABLE_UPKEEP_INTERVAL_SECONDS (defaults: auto, 5). */
export function upkeepFromEnv(env: Record<string, string | undefined>): UpkeepOptions {
  const mode = env.TABLE_UPKEEP ?? DEFAULT_UPKEEP.mode;
  if (mode !== 'auto' && mode !== 'always' && mode !== 'off') throw new Error(`TABLE_UPKEEP must be auto, always or off, not "${mode}"`);
  const seconds = env.TABLE_UPKEEP_INTERVAL_SECONDS === undefined || env.TABLE_UPKEEP_INTERVAL_SECONDS === ''
    ? DEFAULT_UPKEEP.intervalMs / 1000
    : Number(env.TABLE_UPKEEP_INTERVAL_SECONDS);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`TABLE_UPKEEP_INTERVAL_SECONDS must be a positive number, not "${env.TABLE_UPKEEP_INTERVAL_SECONDS}"`);
  return { ...DEFAULT_UPKEEP, mode, intervalMs: seconds * 1000 };
}

export interface TableActivity {
  table: string;
  liveRows: number;
  deadRows: number;
  modifiedSinceAnalyze: number;
}

export interface UpkeepStep {
  table: string;
  /** VACUUM (ANALYZE) clears dead rows and refreshes statistics; ANALYZE only the statistics. */
  action: 'vacuum' | 'analyze';
}

/** Which tables need a vacuum or an analyze now, most dead rows first. */
export function decideUpkeep(tables: TableActivity[], options: Pick<UpkeepOptions, 'minDeadRows' | 'deadShare' | 'minModifiedRows' | 'modifiedShare'>): UpkeepStep[] {
  const steps: (UpkeepStep & { weight: number })[] = [];
  for (const t of tables) {
    if (t.deadRows >= options.minDeadRows + options.deadShare * t.liveRows) {
      steps.push({ table: t.table, action: 'vacuum', weight: t.deadRows });
    } else if (t.modifiedSinceAnalyze >= options.minModifiedRows + options.modifiedShare * t.liveRows) {
      steps.push({ table: t.table, action: 'analyze', weight: 0 });
    }
  }
  return steps.sort((a, b) => b.weight - a.weight).map(({ table, action }) => ({ table, action }));
}

/**
 * Vacuums and analyzes the service's own tables when the server does not (a PostgreSQL with autovacuum off, as on
 * the CI machines): without it every update leaves its dead row for good, the outbox relay's scan for unpublished
 * rows grows with every message ever published, and the planner has no statistics at all (docs/benchmarks.md).
 * One instance at a time (a session advisory lock on a connection of its own: VACUUM runs outside transactions).
 */
export class TableUpkeep {
  private readonly loop: PollingLoop;
  readonly options: UpkeepOptions;
  private serverVacuums?: boolean;
  done = { vacuum: 0, analyze: 0 };

  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: JsonLogger,
    options: Partial<UpkeepOptions> = {},
    private readonly lockKey = 'table-upkeep',
  ) {
    this.options = { ...DEFAULT_UPKEEP, ...options };
    this.loop = new PollingLoop('table upkeep', async () => {
      await this.runOnce();
      return false;
    }, logger, this.options.intervalMs);
  }

  start(): void {
    if (this.options.mode !== 'off') this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** One pass; returns what it did (nothing when the server vacuums by itself in auto mode, or another instance holds the lock). */
  async runOnce(): Promise<UpkeepStep[]> {
    if (this.options.mode === 'off') return [];
    if (this.options.mode === 'auto') {
      if (this.serverVacuums === undefined) {
        const [{ autovacuum }]: { autovacuum: string }[] = await this.dataSource.query(`SHOW autovacuum`);
        this.serverVacuums = autovacuum === 'on';
        this.logger.info(this.serverVacuums ? 'the server autovacuums; table upkeep stays idle' : 'the server does not autovacuum; table upkeep vacuums and analyzes this schema', { intervalMs: this.options.intervalMs });
      }
      if (this.serverVacuums) return [];
    }
    const runner = this.dataSource.createQueryRunner();
    try {
      const [{ locked }]: { locked: boolean }[] = await runner.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [this.lockKey]);
      if (!locked) return [];
      try {
        const activity: { table: string; live: string; dead: string; modified: string }[] = await runner.query(
          `SELECT relname AS table, n_live_tup AS live, n_dead_tup AS dead, n_mod_since_analyze AS modified
           FROM pg_stat_user_tables WHERE schemaname = current_schema()`,
        );
        const steps = decideUpkeep(activity.map((a) => ({
          table: a.table, liveRows: Number(a.live), deadRows: Number(a.dead), modifiedSinceAnalyze: Number(a.modified),
        })), this.options);
        for (const step of steps) {
          const started = performance.now();
          const table = `"${step.table.replace(/"/g, '""')}"`;
          await runner.query(step.action === 'vacuum' ? `VACUUM (ANALYZE) ${table}` : `ANALYZE ${table}`);
          this.done[step.action]++;
          this.logger.debug('table upkeep', { ...step, ms: Math.round(performance.now() - started) });
        }
        return steps;
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [this.lockKey]);
      }
    } finally {
      await runner.release();
    }
  }
}
