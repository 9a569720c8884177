import { decideUpkeep, DEFAULT_UPKEEP, upkeepFromEnv } from './table-upkeep';

const activity = (table: string, liveRows: number, deadRows: number, modifiedSinceAnalyze = 0) => ({ table, liveRows, deadRows, modifiedSinceAnalyze });

describe('deciding which tables need upkeep', () => {
  it('vacuums a queue table once its dead rows pass the threshold, whatever its live rows', () => {
    // given an outbox whose every published row left a dead one behind
    const tables = [activity('outbox', 200, 1500, 3000)];
    // when / then
    expect(decideUpkeep(tables, DEFAULT_UPKEEP)).toEqual([{ table: 'outbox', action: 'vacuum' }]);
  });

  it('asks a large table for more dead rows before vacuuming it', () => {
    // given 100 000 live rows: the threshold is 1 000 + 5 % of them
    expect(decideUpkeep([activity('payouts', 100_000, 5_999)], DEFAULT_UPKEEP)).toEqual([]);
    expect(decideUpkeep([activity('payouts', 100_000, 6_000)], DEFAULT_UPKEEP)).toEqual([{ table: 'payouts', action: 'vacuum' }]);
  });

  it('only analyzes an append-only table that grew, since it has no dead rows to clear', () => {
    expect(decideUpkeep([activity('ledger_entries', 10_000, 0, 2_000)], DEFAULT_UPKEEP)).toEqual([{ table: 'ledger_entries', action: 'analyze' }]);
  });

  it('leaves quiet tables alone', () => {
    expect(decideUpkeep([activity('consents', 5_000, 10, 400), activity('migrations', 4, 0, 4)], DEFAULT_UPKEEP)).toEqual([]);
  });

  it('vacuums the table with the most dead rows first', () => {
    const steps = decideUpkeep([activity('inbox', 10, 2_000), activity('journal', 10, 0, 5_000), activity('outbox', 10, 9_000)], DEFAULT_UPKEEP);
    expect(steps).toEqual([
      { table: 'outbox', action: 'vacuum' },
      { table: 'inbox', action: 'vacuum' },
      { table: 'journal', action: 'analyze' },
    ]);
  });
});

describe('table upkeep settings from the environment', () => {
  it('defaults to upkeep only where the server does not vacuum, every 5 s', () => {
    expect(upkeepFromEnv({})).toMatchObject({ mode: 'auto', intervalMs: 5000 });
  });

  it('takes a mode and an interval', () => {
    expect(upkeepFromEnv({ TABLE_UPKEEP: 'always', TABLE_UPKEEP_INTERVAL_SECONDS: '0.5' })).toMatchObject({ mode: 'always', intervalMs: 500 });
  });

  it('refuses an unknown mode or an interval that is not a positive number, naming the variable', () => {
    expect(() => upkeepFromEnv({ TABLE_UPKEEP: 'sometimes' })).toThrow(/TABLE_UPKEEP must be auto, always or off/);
    expect(() => upkeepFromEnv({ TABLE_UPKEEP_INTERVAL_SECONDS: '0' })).toThrow(/TABLE_UPKEEP_INTERVAL_SECONDS/);
    expect(() => upkeepFromEnv({ TABLE_UPKEEP_INTERVAL_SECONDS: 'soon' })).toThrow(/TABLE_UPKEEP_INTERVAL_SECONDS/);
  });
});
