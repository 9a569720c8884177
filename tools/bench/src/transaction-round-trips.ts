import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { openDatabase, queryCommitting } from '@pointsweep/messaging';
import { DEFAULT_LEDGER_APPEND_OPTIONS, dropScratch, recreateScratch } from './ledger-append-bench';
import { machineSize } from './report';

export interface RoundTripOptions {
  seconds: number;
  adminUrl: string;
}

interface Variant {
  transactions: number;
  ms: number;
  nodeCpuMs: number;
  /** NaN when the server's backend is not a process on this box (e.g. PostgreSQL in a container). */
  backendCpuMs: number;
}

export interface RoundTripResult {
  options: RoundTripOptions;
  pipelined: Variant;
  oneByOne: Variant;
}

const SCRATCH = 'pointsweep_round_trip_scratch';
const SLICE_MS = 1000;

/** CPU time of the server's backend so far, from /proc; undefined unless the pid is a PostgreSQL process here. */
function backendCpuMs(pid: number): number | undefined {
  if (!existsSync(`/proc/${pid}/comm`) || !readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres')) return undefined;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/**
 * The transport's transaction shape — a handler's insert and update, then the inbox claim with an outbox row,
 * carrying COMMIT — on one connection, alternating one-second slices with the connection in pipeline mode (BEGIN with
 * the first statement, COMMIT with the claim) and out of it (each statement its own round trip), so a drifting
 * machine weighs on both alike. Counts this process's CPU and the server backend's per transaction.
 */
export async function runRoundTripBench(options: RoundTripOptions, log: (line: string) => void): Promise<RoundTripResult> {
  const scratch = { ...DEFAULT_LEDGER_APPEND_OPTIONS, adminUrl: options.adminUrl, scratchDatabase: SCRATCH };
  const url = await recreateScratch(scratch);
  const dataSource = await openDatabase({ url, schema: 'round_trips', migrations: [], poolSize: 1 });
  const pipelined: Variant = { transactions: 0, ms: 0, nodeCpuMs: 0, backendCpuMs: 0 };
  const oneByOne: Variant = { transactions: 0, ms: 0, nodeCpuMs: 0, backendCpuMs: 0 };
  try {
    await dataSource.query('CREATE TABLE round_trips.handled (id bigserial PRIMARY KEY, person text NOT NULL, n int NOT NULL)');
    const runner = dataSource.createQueryRunner();
    const client = (await runner.connect()) as { pipeline: boolean };
    const [{ pid }]: { pid: number }[] = await runner.query('SELECT pg_backend_pid() AS pid');
    const transaction = async (n: number) => {
      const messageId = randomUUID();
      await runner.startTransaction();
      await runner.query('INSERT INTO handled (person, n) VALUES ($1, $2)', [`person-${n}`, n]);
      await runner.query('UPDATE handled SET n = n + 1 WHERE person = $1', [`person-${n}`]);
      await queryCommitting(
        runner,
        `WITH claimed AS (
           INSERT INTO inbox (consumer, message_id, message_type, outcome, content_digest) VALUES ('bench', $1, 'Bench', 'processed', 'd')
           ON CONFLICT DO NOTHING RETURNING message_id),
         written AS (INSERT INTO outbox (message_id, topic, message_key, message_type, value) VALUES ($2::uuid, 't', $3, 'Bench', '{}'::jsonb))
         SELECT inbox_claimed_all(count(*), 1) FROM claimed`,
        [messageId, randomUUID(), `person-${n}`],
      );
      await runner.commitTransaction();
    };
    log(`transport-shaped transactions: ${options.seconds} s each way, in alternating ${SLICE_MS / 1000}-s slices`);
    let n = 0;
    for (let elapsed = 0; elapsed < options.seconds * 1000; elapsed += SLICE_MS) {
      for (const [pipeline, variant] of [[true, pipelined], [false, oneByOne]] as const) {
        client.pipeline = pipeline;
        const started = Date.now();
        const cpu = process.cpuUsage();
        const backend = backendCpuMs(pid) ?? NaN;
        while (Date.now() - started < SLICE_MS) {
          await transaction(n++);
          variant.transactions++;
        }
        const used = process.cpuUsage(cpu);
        variant.ms += Date.now() - started;
        variant.nodeCpuMs += (used.user + used.system) / 1000;
        variant.backendCpuMs += (backendCpuMs(pid) ?? NaN) - backend;
      }
    }
    await runner.release();
  } finally {
    await dataSource.destroy();
    await dropScratch(scratch);
  }
  return { options, pipelined, oneByOne };
}

export function roundTripMarkdown(r: RoundTripResult, command: string): string {
  const row = (name: string, v: Variant) =>
    `| ${name} | ${Math.round((v.transactions * 1000) / v.ms)} | ${((v.nodeCpuMs * 1000) / v.transactions).toFixed(0)} | ${Number.isNaN(v.backendCpuMs) ? 'not on this box' : ((v.backendCpuMs * 1000) / v.transactions).toFixed(0)} |`;
  return [
    `### Transaction round trips — ${new Date().toISOString()}`,
    '',
    `- Command: \`${command}\``,
    `- Machine: ${machineSize()}; PostgreSQL on the same box (127.0.0.1:5432), scratch database \`${SCRATCH}\`, one connection`,
    '- The transport\'s shape: BEGIN, an insert, an update, the inbox claim with an outbox row, COMMIT; alternating one-second slices',
    '',
    '| connection | transactions/s | this process, µs CPU per transaction | server backend, µs CPU per transaction |',
    '| --- | --- | --- | --- |',
    row('pipelined: BEGIN with the first statement, COMMIT with the claim (3 round trips)', r.pipelined),
    row('one statement per round trip (5 round trips)', r.oneByOne),
    '',
  ].join('\n');
}
