import { kstInstant, offsetClock } from '@pointsweep/messaging';
// Relative until the root maps @pointsweep/bench (jest moduleNameMapper) and lets type:test use type:tool.
import { runBench } from '@pointsweep/bench';
import { startTestSystem, TestSystem } from './system/system';

// The benchmark once, at a small scale, on the in-process system: proves the load generator works end to end and
// that its audit passes. Benchmarks print figures; this spec asserts no timings.
describe('the launch-day benchmark at a small scale', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await startTestSystem({ clock: offsetClock(kstInstant('2026-11-26', '10:00')) });
  });

  afterAll(async () => {
    await system?.close();
  });

  const target = () => ({
    client: async () => system.client,
    brokers: system.config.kafkaBrokers,
    prefix: system.prefix,
    simulatorsUrl: system.simulatorsUrl,
    simulatorsSeed: system.prefix,
    ledgerDatabaseUrl: system.database.url,
    ledgerSchema: 'ledger',
  });

  it('sweeps every person\'s programs to a terminal or scheduled state, told by the ledger\'s notices, and the ledger audit and the bench\'s count pass', async () => {
    // 40 in the surge and 1 a second in the calm 4 s before it, through it and 4 s after it: 63 people.
    const result = await runBench(
      {
        people: 40, issuersPerPerson: 5, rampSeconds: 5, durationSeconds: 15, concurrency: 20, lookupOnlyShare: 0.1, drainSeconds: 90, statusBy: 'notice',
        calmRate: 1, calmSeconds: 4, patienceSeconds: 60,
      },
      target(),
    );
    const failed = result.audit.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    expect(failed).toEqual([]);
    expect(result.audit.ok).toBe(true);
    expect(result.people.failures).toEqual({});
    expect(result.people).toMatchObject({ started: 63, finished: 63, failed: 0, gaveUp: 0, notStarted: 0 });
    expect(result.cashOuts.accepted).toBe(63 - result.people.lookupOnly);
    // Who arrived when around the surge: everyone, all got in, and the calm before it set what normal is.
    const arrivals = result.surge!.arrivals;
    expect(result.surge).toMatchObject({ fromSecond: 4, toSecond: 19 });
    expect(arrivals.reduce((n, b) => n + b.arrived, 0)).toBe(63);
    expect(arrivals.reduce((n, b) => n + b.reached, 0)).toBe(63);
    expect(arrivals.reduce((n, b) => n + b.journeyMs.count, 0)).toBe(result.cashOuts.accepted);
    expect(result.surge!.recovery!.baselineMs.count).toBeGreaterThan(0);
    expect(result.cashOuts.parts).toBeGreaterThan(100);
    expect(Object.keys(result.cashOuts.partStates).sort().every((s) => ['PAID', 'SCHEDULED', 'FAILED', 'MANUAL_REVIEW'].includes(s))).toBe(true);
    expect(result.cashOuts.acceptedToTerminalMs.count).toBe(result.cashOuts.parts);
    // The ledger's own record of every part, and never a part finishing before it was accepted.
    expect(result.cashOuts.recordedAcceptedToTerminalMs.count).toBe(result.cashOuts.parts);
    expect(result.timeline.reduce((n, b) => n + b.recordedAcceptedToTerminalMs.count, 0)).toBe(result.cashOuts.parts);
    expect(result.cashOuts.recordedAcceptedToTerminalMs.p50).toBeGreaterThanOrEqual(0);
    // Every cash-out learned of by its notice or, had one been slow, by the fallback poll; notices did come.
    const { resolvedBy } = result.cashOuts;
    expect(resolvedBy.notice + resolvedBy.poll).toBe(result.cashOuts.accepted);
    expect(resolvedBy.notice).toBeGreaterThan(0);
  }, 240_000);

  it('in a sweep phase, people sweep one after another at the offered rate once all are onboarded, and the audit passes', async () => {
    const people = 20;
    const result = await runBench(
      {
        people, issuersPerPerson: 3, rampSeconds: 1, durationSeconds: 3, concurrency: people, lookupOnlyShare: 0.1, drainSeconds: 90,
        statusBy: 'poll', pollIntervalMs: 250, sweepRate: 10, seed: 7,
      },
      target(),
    );
    const failed = result.audit.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    expect(failed).toEqual([]);
    expect(result.people.failures).toEqual({});
    expect(result.people).toMatchObject({ started: people, finished: people, failed: 0 });
    const sweepers = people - result.people.lookupOnly;
    expect(result.cashOuts.accepted).toBe(sweepers);
    // The phase lasts the planned parts at 10 parts/s (3 card companies, 3–5 programs a person) and holds the sweeps.
    expect(result.steadyWindowSeconds).toBeGreaterThanOrEqual((sweepers * 3) / 10);
    expect(result.steadyWindowSeconds).toBeLessThanOrEqual((sweepers * 5) / 10);
    expect(result.cashOuts.recordedInSteadyMs.count).toBeGreaterThan(result.cashOuts.parts / 2);
    expect(result.cashOuts.settledPerSecondSteady).toBeGreaterThan(3);
    expect(result.cashOuts.settledPerSecondSteady).toBeLessThan(15);
  }, 240_000);
});
