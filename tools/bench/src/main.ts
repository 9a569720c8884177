#!/usr/bin/env node
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_LEDGER_APPEND_OPTIONS, ledgerAppendMarkdown, runLedgerAppendBench } from './ledger-append-bench';
import { roundTripMarkdown, runRoundTripBench } from './transaction-round-trips';
import { stackProcessMatchers } from './proc-sampler';
import { appendToBenchmarks, benchMarkdown } from './report';
import { BenchOptions, DEFAULT_BENCH_OPTIONS, runBench } from './run-bench';
import { SERVICE_NAMES } from './lag-sampler';
import { CHAOS_VICTIMS, ChaosVictim, chaosMarkdown, DEFAULT_CHAOS_VICTIMS, runChaos } from './chaos';

const USAGE = `npm run bench -- [load|ledger-append|round-trips|all|chaos] [options]     (npm run chaos -- … is chaos)

  load (default): the launch-day load against the running \`npm start\` stack, then the ledger audit
    --people N            simulated people (${DEFAULT_BENCH_OPTIONS.people})
    --ramp S              seconds from zero to peak arrival rate (${DEFAULT_BENCH_OPTIONS.rampSeconds})
    --duration S          arrival window in seconds, ramp included (${DEFAULT_BENCH_OPTIONS.durationSeconds})
    --concurrency N       people in flight at once (${DEFAULT_BENCH_OPTIONS.concurrency})
    --lookup-only F       share of people who only look up (${DEFAULT_BENCH_OPTIONS.lookupOnlyShare})
    --issuers N           card companies per person (${DEFAULT_BENCH_OPTIONS.issuersPerPerson})
    --average-won N       average won per part (${DEFAULT_BENCH_OPTIONS.averagePartWon})
    --status notice|poll  how a person learns a cash-out is resolved: the ledger's CashOutResolved notice, or polling
                          its status (${DEFAULT_BENCH_OPTIONS.statusBy})
    --poll-ms N           with --status poll: status poll interval (${DEFAULT_BENCH_OPTIONS.pollIntervalMs})
    --fallback-poll-ms N  with --status notice: a status poll after this long without a notice (${DEFAULT_BENCH_OPTIONS.fallbackPollMs})
    --drain S             time allowed after the window to finish (${DEFAULT_BENCH_OPTIONS.drainSeconds})
    --clients N           Kafka clients shared by the people (${DEFAULT_BENCH_OPTIONS.clients})
    --lookups-per-person N  lookups each person makes, one after another until the window ends (${DEFAULT_BENCH_OPTIONS.lookupsPerPerson})
    --lookup-phase S      once all people are onboarded, all look up back to back for S seconds; the lookup and CPU
                          figures are the phase's (needs --concurrency ≥ --people) (${DEFAULT_BENCH_OPTIONS.lookupPhaseSeconds})
    --lookup-rate R       in the lookup phase, R lookups/s offered by all people together, each person on a fixed
                          schedule, latency counted from the scheduled start (0: back to back) (${DEFAULT_BENCH_OPTIONS.lookupRate})
    --sweep-rate R        a sweep phase: once all people are onboarded and looked up, they sweep one after another on a
                          fixed schedule offering R parts/s (the phase lasts their parts / R seconds); the parts/s,
                          latency and CPU figures are the phase's (needs --concurrency ≥ --people) (${DEFAULT_BENCH_OPTIONS.sweepRate})
    --patience S          a person told "busy, retry after" for S s (from their first busy answer) gives up, counted
                          as gave up; 0: retries until the hard stop (${DEFAULT_BENCH_OPTIONS.patienceSeconds})
    --calm-rate R         a calm load of R people/s from --calm-seconds before the surge (the --people over --duration)
                          to --calm-seconds after it; prints who arrived when, how they got in, and when arrivals
                          found the system normal again (0: none) (${DEFAULT_BENCH_OPTIONS.calmRate})
    --calm-seconds S      the calm before and after the surge (${DEFAULT_BENCH_OPTIONS.calmSeconds})
    --seed N              population seed (${DEFAULT_BENCH_OPTIONS.seed})
    --brokers, --prefix, --simulators, --simulators-seed, --ledger-db, --ledger-schema   the target (npm start's defaults)
  ledger-append: the ledger's appendJournals vs pgbench on a scratch database
    --writers N           writers and pgbench clients (${DEFAULT_LEDGER_APPEND_OPTIONS.writers})
    --seconds S           per variant (${DEFAULT_LEDGER_APPEND_OPTIONS.seconds})
    --batch N             journals per transaction in the batched variant, 0 to skip (${DEFAULT_LEDGER_APPEND_OPTIONS.batch})
    --pg-admin URL        maintenance database URL (${DEFAULT_LEDGER_APPEND_OPTIONS.adminUrl})
  round-trips: the transport's transaction on one connection, pipelined (BEGIN and COMMIT ride with statements)
    against one statement per round trip, in alternating slices: transactions/s, CPU per transaction here and in
    the server's backend
    --seconds S           per variant (15)
    --pg-admin URL        maintenance database URL (${DEFAULT_LEDGER_APPEND_OPTIONS.adminUrl})
  all: ledger-append, then load
  chaos: the load at a moderate rate (defaults 300 people, 120 s, ramp 10 s, concurrency 100) while processes of the
    running \`npm start\` stack are killed with SIGKILL at random moments (it starts them again); then the audit.
    Appends to docs/reliability.md.
    --interval S          mean seconds between kills (15)
    --victims a,b         from ${CHAOS_VICTIMS.join(',')} (default ${DEFAULT_CHAOS_VICTIMS.join(',')};
                          postgres restarts the machine's server in immediate mode)
    --instances N         instances of every service the stack runs (INSTANCES=N npm start; default 1): a kill then
                          hits one of them, and each kill and restart rebalances the group
    --slow-issuer CODE    this card company answers after 5 s (above its timeout) for the whole run
    --flapping-issuer CODE  this card company's outage switches on and off every 5 s
  --no-docs               do not append to docs/benchmarks.md
Exits non-zero when the audit finds any violation.`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      people: { type: 'string' }, ramp: { type: 'string' }, duration: { type: 'string' }, concurrency: { type: 'string' },
      'lookup-only': { type: 'string' }, issuers: { type: 'string' }, 'average-won': { type: 'string' }, 'poll-ms': { type: 'string' },
      status: { type: 'string' }, 'fallback-poll-ms': { type: 'string' },
      drain: { type: 'string' }, clients: { type: 'string' }, 'lookups-per-person': { type: 'string' }, 'lookup-phase': { type: 'string' }, 'lookup-rate': { type: 'string' }, 'sweep-rate': { type: 'string' }, patience: { type: 'string' }, 'calm-rate': { type: 'string' }, 'calm-seconds': { type: 'string' }, seed: { type: 'string' }, 'timeout-ms': { type: 'string' },
      brokers: { type: 'string' }, prefix: { type: 'string' }, simulators: { type: 'string' }, 'simulators-seed': { type: 'string' },
      'ledger-db': { type: 'string' }, 'ledger-schema': { type: 'string' },
      writers: { type: 'string' }, seconds: { type: 'string' }, batch: { type: 'string' }, 'pg-admin': { type: 'string' },
      interval: { type: 'string' }, victims: { type: 'string' }, instances: { type: 'string' },
      'slow-issuer': { type: 'string' }, 'flapping-issuer': { type: 'string' },
      'no-docs': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const mode = positionals[0] ?? 'load';
  if (!['load', 'ledger-append', 'round-trips', 'all', 'chaos'].includes(mode)) {
    console.error(USAGE);
    return 2;
  }
  const num = (v: string | undefined, name: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number`);
    return n;
  };
  const statusBy = (v: string | undefined): BenchOptions['statusBy'] | undefined => {
    if (v === undefined || v === 'notice' || v === 'poll') return v;
    throw new Error('--status must be notice or poll');
  };
  const root = resolve(__dirname, '../../..');
  const docs = resolve(root, 'docs/benchmarks.md');
  const command = mode === 'chaos'
    ? `npm run chaos -- ${process.argv.slice(3).join(' ')}`.trim()
    : `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  const log = (line: string) => console.log(`[bench] ${line}`);
  let ok = true;

  if (mode === 'ledger-append' || mode === 'all') {
    const result = await runLedgerAppendBench(
      {
        writers: num(values.writers, 'writers'), seconds: num(values.seconds, 'seconds'), batch: num(values.batch, 'batch'),
        adminUrl: values['pg-admin'], root,
      } as Partial<typeof DEFAULT_LEDGER_APPEND_OPTIONS>,
      log,
    );
    const md = ledgerAppendMarkdown(result, command);
    console.log(`\n${md}`);
    if (!values['no-docs']) appendToBenchmarks(docs, md);
  }

  if (mode === 'round-trips') {
    const result = await runRoundTripBench({ seconds: num(values.seconds, 'seconds') ?? 15, adminUrl: values['pg-admin'] ?? DEFAULT_LEDGER_APPEND_OPTIONS.adminUrl }, log);
    const md = roundTripMarkdown(result, command);
    console.log(`\n${md}`);
    if (!values['no-docs']) appendToBenchmarks(docs, md);
    return 0;
  }

  const benchOptions = (defaults: Partial<BenchOptions>): Partial<BenchOptions> => ({
    ...defaults,
    ...Object.fromEntries(
      Object.entries({
        people: num(values.people, 'people'), rampSeconds: num(values.ramp, 'ramp'), durationSeconds: num(values.duration, 'duration'),
        concurrency: num(values.concurrency, 'concurrency'), lookupOnlyShare: num(values['lookup-only'], 'lookup-only'),
        issuersPerPerson: num(values.issuers, 'issuers'), averagePartWon: num(values['average-won'], 'average-won'),
        statusBy: statusBy(values.status), pollIntervalMs: num(values['poll-ms'], 'poll-ms'), fallbackPollMs: num(values['fallback-poll-ms'], 'fallback-poll-ms'),
        drainSeconds: num(values.drain, 'drain'), clients: num(values.clients, 'clients'),
        seed: num(values.seed, 'seed'), requestTimeoutMs: num(values['timeout-ms'], 'timeout-ms'),
        lookupsPerPerson: num(values['lookups-per-person'], 'lookups-per-person'),
        lookupPhaseSeconds: num(values['lookup-phase'], 'lookup-phase'),
        lookupRate: num(values['lookup-rate'], 'lookup-rate'),
        sweepRate: num(values['sweep-rate'], 'sweep-rate'),
        patienceSeconds: num(values.patience, 'patience'),
        calmRate: num(values['calm-rate'], 'calm-rate'),
        calmSeconds: num(values['calm-seconds'], 'calm-seconds'),
      }).filter(([, v]) => v !== undefined),
    ),
  });
  const ports: Record<string, number> = { identity: 3001, 'issuer-aggregation': 3002, 'conversion-ledger': 3003, 'bank-settlement': 3004 };
  const serviceUrls = Object.fromEntries(SERVICE_NAMES.map((s) => [s, `http://127.0.0.1:${ports[s]}`]));
  const brokers = (values.brokers ?? '127.0.0.1:9092').split(',');
  const target = {
    brokers,
    prefix: values.prefix ?? 'pointsweep',
    simulatorsUrl: values.simulators ?? 'http://127.0.0.1:4100',
    simulatorsSeed: values['simulators-seed'] ?? process.env.SIMULATORS_SEED ?? 'pointsweep',
    ledgerDatabaseUrl: values['ledger-db'] ?? 'postgres://postgres@127.0.0.1:5432/pointsweep',
    ledgerSchema: values['ledger-schema'] ?? 'ledger',
    metricsUrls: serviceUrls,
    processes: stackProcessMatchers(),
  };

  if (mode === 'chaos') {
    const victims = (values.victims ?? DEFAULT_CHAOS_VICTIMS.join(',')).split(',').map((v) => v.trim());
    const unknown = victims.filter((v) => !(CHAOS_VICTIMS as readonly string[]).includes(v));
    if (unknown.length > 0) throw new Error(`--victims: unknown ${unknown.join(', ')} (choose from ${CHAOS_VICTIMS.join(', ')})`);
    const result = await runChaos(
      benchOptions({ people: 300, durationSeconds: 120, rampSeconds: 10, concurrency: 100, pollIntervalMs: 1000, drainSeconds: 240 }),
      target,
      {
        intervalSeconds: num(values.interval, 'interval') ?? 15, victims: victims as ChaosVictim[], seed: num(values.seed, 'seed') ?? 1,
        slowIssuer: values['slow-issuer'], flappingIssuer: values['flapping-issuer'], simulatorsUrl: target.simulatorsUrl,
        healthUrls: serviceUrls, kafkaPorts: brokers.map((b) => Number(b.split(':')[1] ?? 9092)), instances: num(values.instances, 'instances') ?? 1,
      },
      log,
    );
    const md = chaosMarkdown(result, command, benchMarkdown(result.bench, command));
    console.log(`\n${md}`);
    if (!values['no-docs']) appendToBenchmarks(resolve(root, 'docs/reliability.md'), md);
    if (!result.bench.audit.ok) console.error('[chaos] AUDIT FAILED: see the checks above');
    return result.bench.audit.ok && result.bench.people.failed === 0 ? 0 : 1;
  }

  if (mode === 'load' || mode === 'all') {
    const result = await runBench(benchOptions({}), target, log);
    const md = benchMarkdown(result, command);
    console.log(`\n${md}`);
    if (!values['no-docs']) appendToBenchmarks(docs, md);
    ok = ok && result.audit.ok;
    if (!result.audit.ok) console.error('[bench] AUDIT FAILED: see the checks above');
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`[bench] failed: ${error instanceof Error ? error.stack : error}`);
    process.exit(1);
  },
);
