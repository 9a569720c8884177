import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { PROGRAMS } from '@pointsweep/contracts';
import { openDatabase } from '@pointsweep/messaging';
import { conversionLedgerService } from '@pointsweep/conversion-ledger';
import { appendJournals, redemptionLines } from '@pointsweep/conversion-ledger';
import { machineSize } from './report';
import { fmt } from './stats';

const run = promisify(execFile);

export interface LedgerAppendOptions {
  /** Concurrent writers (the ledger consumes one partition at a time: 1) and pgbench clients. */
  writers: number;
  seconds: number;
  /**
   * Journals per transaction in the batched variant, as the ledger's transport groups consecutive messages of a
   * partition into one transaction (0 = skip it). The ratio is taken from this variant when it runs.
   */
  batch: number;
  /** Maintenance database of the server to create the scratch database on. */
  adminUrl: string;
  scratchDatabase: string;
  /** The repository root, to find deploy/pgbench. */
  root: string;
}

export const DEFAULT_LEDGER_APPEND_OPTIONS: LedgerAppendOptions = {
  writers: 1,
  seconds: 20,
  batch: 20,
  adminUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
  scratchDatabase: 'pointsweep_bench_scratch',
  root: process.cwd(),
};

export interface LedgerAppendResult {
  options: LedgerAppendOptions;
  startedAt: string;
  ledger: { journals: number; perSecond: number; deadlocksOrRetries: number };
  ledgerBatched?: { journals: number; perSecond: number; batch: number; failedTransactions: number };
  pgbench: { perSecond: number; transactions: number; latencyMs: number; command: string };
  ratio: number;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function dbUrl(adminUrl: string, database: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function recreateScratch(o: LedgerAppendOptions): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(o.scratchDatabase) || !o.scratchDatabase.includes('scratch')) {
    throw new Error(`refusing scratch database name ${o.scratchDatabase}: it must be a plain name containing "scratch"`);
  }
  const admin = new Client({ connectionString: o.adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${o.scratchDatabase}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${o.scratchDatabase}"`);
  } finally {
    await admin.end();
  }
  return dbUrl(o.adminUrl, o.scratchDatabase);
}

/** N writers appending redemption journals with the ledger's own appendJournals for a fixed time. */
async function ledgerAppends(url: string, o: LedgerAppendOptions, perTransaction: number): Promise<{ journals: number; retries: number; seconds: number }> {
  const schema = perTransaction === 1 ? 'ledger' : 'ledger_batched';
  const dataSource = await openDatabase({ url, schema, migrations: conversionLedgerService.migrations, poolSize: o.writers });
  try {
    let journals = 0;
    let retries = 0;
    const start = Date.now();
    const end = start + o.seconds * 1000;
    const writer = async (w: number) => {
      let i = 0;
      while (Date.now() < end) {
        try {
          // As the ledger does with a group's journals: appended together at the end of the transaction.
          const batch = Array.from({ length: perTransaction }, (_, k) => {
            const def = PROGRAMS[(w + i + k) % PROGRAMS.length];
            const points = def.rate.points * (1000 + ((w * 7919 + i * 31 + k) % 10_000));
            const won = (points / def.rate.points) * def.rate.won;
            return { kind: 'REDEMPTION' as const, partId: randomUUID(), shardKey: randomUUID(), occurredAt: new Date(), lines: redemptionLines(def.program, def.issuer, points, won) };
          });
          await dataSource.transaction((tx) => appendJournals(tx, batch));
          journals += perTransaction;
        } catch {
          retries++; // a deadlock or serialization failure: count it, carry on
        }
        i++;
      }
    };
    await Promise.all(Array.from({ length: o.writers }, (_, w) => writer(w)));
    return { journals, retries, seconds: (Date.now() - start) / 1000 };
  } finally {
    await dataSource.destroy();
  }
}

async function pgbench(url: string, o: LedgerAppendOptions): Promise<LedgerAppendResult['pgbench']> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    await db.query(readFileSync(resolve(o.root, 'deploy/pgbench/journal-tables.sql'), 'utf8'));
  } finally {
    await db.end();
  }
  const u = new URL(url);
  const args = [
    '-n', '-f', resolve(o.root, 'deploy/pgbench/journal-insert.sql'), '-c', String(o.writers), '-j', String(o.writers), '-T', String(o.seconds),
    '-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username || 'postgres'), u.pathname.slice(1),
  ];
  const { stdout } = await run('pgbench', args, { timeout: (o.seconds + 60) * 1000 });
  const tps = /tps = ([0-9.]+) \(without initial connection time\)/.exec(stdout);
  const tx = /number of transactions actually processed: (\d+)/.exec(stdout);
  const lat = /latency average = ([0-9.]+) ms/.exec(stdout);
  if (!tps) throw new Error(`could not read pgbench's output:\n${stdout}`);
  return { perSecond: Number(tps[1]), transactions: Number(tx?.[1] ?? 0), latencyMs: Number(lat?.[1] ?? Number.NaN), command: `pgbench ${args.join(' ')}` };
}

/**
 * The ledger's write path against PostgreSQL's own limit, in one run on one machine: appendJournals (shard heads
 * locked, hashes, journals + 6 entries each, balance projection upserts) with N writers, then pgbench inserting rows of
 * the same shape with N clients. The scratch database is dropped at the end.
 */
export async function runLedgerAppendBench(partial: Partial<LedgerAppendOptions>, log: (line: string) => void = () => undefined): Promise<LedgerAppendResult> {
  const o: LedgerAppendOptions = { ...DEFAULT_LEDGER_APPEND_OPTIONS, ...definedOnly(partial) };
  const startedAt = new Date().toISOString();
  const url = await recreateScratch(o);
  try {
    log(`ledger appendJournals: ${o.writers} writers for ${o.seconds} s, one journal per transaction`);
    const ledger = await ledgerAppends(url, o, 1);
    let batched: LedgerAppendResult['ledgerBatched'];
    if (o.batch > 1) {
      log(`ledger appendJournals: ${o.writers} writers for ${o.seconds} s, ${o.batch} journals per transaction (as the transport groups them)`);
      const b = await ledgerAppends(url, o, o.batch);
      batched = { journals: b.journals, perSecond: b.journals / b.seconds, batch: o.batch, failedTransactions: b.retries };
    }
    log(`pgbench: ${o.writers} clients for ${o.seconds} s`);
    const pg = await pgbench(url, o);
    const perSecond = ledger.journals / ledger.seconds;
    return {
      options: o,
      startedAt,
      ledger: { journals: ledger.journals, perSecond, deadlocksOrRetries: ledger.retries },
      ledgerBatched: batched,
      pgbench: pg,
      ratio: (batched?.perSecond ?? perSecond) / pg.perSecond,
    };
  } finally {
    await dropScratch(o);
  }
}

export async function dropScratch(o: Pick<LedgerAppendOptions, 'adminUrl' | 'scratchDatabase'>): Promise<void> {
  const admin = new Client({ connectionString: o.adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${o.scratchDatabase}" WITH (FORCE)`).finally(() => admin.end());
}

export function ledgerAppendMarkdown(r: LedgerAppendResult, command: string): string {
  const lines = [
    `### Ledger appends vs pgbench — ${r.startedAt}`,
    '',
    `- Command: \`${command}\``,
    `- Machine: ${machineSize()}; PostgreSQL on the same box (127.0.0.1:5432), scratch database \`${r.options.scratchDatabase}\` migrated with the ledger's migrations`,
    `- ${r.options.writers} writers / pgbench clients, ${r.options.seconds} s each, one after the other`,
    '',
    '| write path | journals/s | note |',
    '| --- | --- | --- |',
    `| ledger \`appendJournals\`, 1 journal per transaction | ${fmt(r.ledger.perSecond, 0)} | ${r.ledger.journals} journals, ${r.ledger.deadlocksOrRetries} failed transactions |`,
    ...(r.ledgerBatched
      ? [`| ledger \`appendJournals\`, ${r.ledgerBatched.batch} journals per transaction (as the transport groups a partition's messages) | ${fmt(r.ledgerBatched.perSecond, 0)} | ${r.ledgerBatched.journals} journals, ${r.ledgerBatched.failedTransactions} failed transactions |`]
      : []),
    `| pgbench \`deploy/pgbench/journal-insert.sql\` (1 journal + 6 entries per transaction) | ${fmt(r.pgbench.perSecond, 0)} | ${r.pgbench.transactions} transactions, average latency ${fmt(r.pgbench.latencyMs, 2)} ms |`,
    '',
    `**Ratio ledger / pgbench: ${fmt(r.ratio * 100, 0)} %** (target ≥ 50 %; ${r.ledgerBatched ? `the grouped write path, as the service runs it; one journal per transaction: ${fmt((r.ledger.perSecond / r.pgbench.perSecond) * 100, 0)} %` : 'one journal per transaction'})`,
    '',
    `pgbench command: \`${r.pgbench.command}\``,
    '',
  ];
  return lines.join('\n');
}
