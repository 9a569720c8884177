import { clockFromConfig } from './clock';

describe('clockFromConfig', () => {
  const start = '2026-11-26T10:00:00+09:00';

  it('starts a pinned clock at CLOCK_START when the process starts, then runs at real speed', () => {
    let real = Date.parse('2026-11-25T09:00:00Z');
    const clock = clockFromConfig({ CLOCK_START: start }, () => real);
    expect(clock.now().toISOString()).toBe('2026-11-26T01:00:00.000Z');
    real += 90_000;
    expect(clock.now().toISOString()).toBe('2026-11-26T01:01:30.000Z');
  });

  it('gives a process started later the same time as the first when both share CLOCK_START_REAL', () => {
    const env = { CLOCK_START: start, CLOCK_START_REAL: '2026-11-25T09:00:00Z' };
    const first = clockFromConfig(env, () => Date.parse('2026-11-25T09:00:00Z'));
    let real = Date.parse('2026-11-25T09:05:00Z');
    const restarted = clockFromConfig(env, () => real);
    expect(first.now().toISOString()).toBe('2026-11-26T01:00:00.000Z');
    expect(restarted.now().toISOString()).toBe('2026-11-26T01:05:00.000Z');
    real += 1000;
    expect(restarted.now().toISOString()).toBe('2026-11-26T01:05:01.000Z');
  });

  it('stands still with CLOCK_FROZEN, and refuses a time it cannot read', () => {
    expect(clockFromConfig({ CLOCK_START: start, CLOCK_FROZEN: 'true' }, () => 0).now().toISOString()).toBe('2026-11-26T01:00:00.000Z');
    expect(() => clockFromConfig({ CLOCK_START: 'tomorrow' })).toThrow('CLOCK_START is not a valid ISO-8601 time: tomorrow');
    expect(() => clockFromConfig({ CLOCK_START: start, CLOCK_START_REAL: 'now' })).toThrow('CLOCK_START_REAL is not a valid ISO-8601 time: now');
  });
});
