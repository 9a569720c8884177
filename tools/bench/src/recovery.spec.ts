import { arrivalSchedule, arrivalSeconds, GaveUp, Journey, Patience, recoveryAfterSurge, surgeWindow } from './recovery';

const start = 1_000_000;
const swept = (arrivedSecond: number, journeyMs: number): Journey => ({
  arrivedAt: start + arrivedSecond * 1000, reachedAt: start + arrivedSecond * 1000 + journeyMs, lookupOnly: false, gaveUp: false, failed: false,
});
const gaveUp = (arrivedSecond: number): Journey => ({ arrivedAt: start + arrivedSecond * 1000, lookupOnly: false, gaveUp: true, failed: false });

describe('the launch-day arrivals', () => {
  it('climbs to the peak rate over the ramp and has everyone arrived by the end of the window', () => {
    expect(arrivalSeconds(999, 1000, 60, 120)).toBeCloseTo(120, 6);
    // The rate climbs linearly: the ramp's second half brings three times as many as its first.
    const inFirstHalfOfRamp = Array.from({ length: 1000 }, (_, i) => arrivalSeconds(i, 1000, 60, 120)).filter((s) => s < 30).length;
    const inSecondHalfOfRamp = Array.from({ length: 1000 }, (_, i) => arrivalSeconds(i, 1000, 60, 120)).filter((s) => s >= 30 && s < 60).length;
    expect(inSecondHalfOfRamp).toBeGreaterThan(2.5 * inFirstHalfOfRamp);
  });

  it('puts the surge between a calm before and a calm after, with the calm load arriving all along', () => {
    const plan = { people: 600, rampSeconds: 10, durationSeconds: 60, calmRate: 2, calmSeconds: 30 };

    const arrivals = arrivalSchedule(plan);

    expect(surgeWindow(plan)).toEqual({ from: 30, to: 90 });
    const surge = arrivals.filter((a) => a.surge);
    const calm = arrivals.filter((a) => !a.surge);
    expect(surge).toHaveLength(600);
    expect(Math.min(...surge.map((a) => a.at))).toBeGreaterThanOrEqual(30);
    expect(Math.max(...surge.map((a) => a.at))).toBeCloseTo(90, 6);
    expect(calm).toHaveLength(2 * 120);
    expect(calm.filter((a) => a.at >= 90).length).toBe(60);
    expect(arrivals.map((a) => a.at)).toEqual([...arrivals.map((a) => a.at)].sort((a, b) => a - b));
  });

  it('is the surge alone without a calm rate', () => {
    const arrivals = arrivalSchedule({ people: 10, rampSeconds: 0, durationSeconds: 10, calmRate: 0, calmSeconds: 30 });

    expect(arrivals).toHaveLength(10);
    expect(arrivals[0].at).toBeCloseTo(1, 6);
    expect(surgeWindow({ people: 10, rampSeconds: 0, durationSeconds: 10, calmRate: 0, calmSeconds: 30 })).toEqual({ from: 0, to: 10 });
  });
});

describe('back to normal after the surge', () => {
  const calmBefore = Array.from({ length: 100 }, (_, i) => swept(i * 0.3, 800 + (i % 10) * 20));

  it('is the first bucket after the surge from which every arrival got in at the calm latency', () => {
    const journeys = [
      ...calmBefore,
      ...Array.from({ length: 50 }, (_, i) => swept(30 + i, 9000)), // the surge
      gaveUp(92), swept(95, 4000), // still busy in the first ten seconds after it (surge ends at 90)
      swept(101, 5000), // slow in the second
      swept(111, 900), swept(115, 950), swept(122, 1000), swept(135, 700),
    ];

    const recovery = recoveryAfterSurge(journeys, start, { from: 30, to: 90 });

    expect(recovery.baselineMs.p99).toBe(980);
    expect(recovery.normalP99Ms).toBe(1980);
    expect(recovery.normalAfterSeconds).toBe(20);
  });

  it('does not count a normal bucket that a slow one follows', () => {
    const journeys = [...calmBefore, swept(91, 900), swept(101, 5000), swept(111, 900)];

    expect(recoveryAfterSurge(journeys, start, { from: 30, to: 90 }).normalAfterSeconds).toBe(20);
  });

  it('has no recovery when the last arrivals still waited at the stop', () => {
    const stillWaiting: Journey = { arrivedAt: start + 115_000, lookupOnly: false, gaveUp: false, failed: false };
    const journeys = [...calmBefore, swept(101, 900), stillWaiting];

    expect(recoveryAfterSurge(journeys, start, { from: 30, to: 90 }).normalAfterSeconds).toBeUndefined();
  });
});

describe("a person's patience with busy answers", () => {
  it('gives up once told busy for its length, counted from the first busy answer', () => {
    const patience = new Patience(30);

    patience.toldBusy('startVerification', 1_000);
    patience.toldBusy('grantConsents', 20_000);

    expect(() => patience.toldBusy('cashOut', 31_000)).toThrow(new GaveUp(30, 'cashOut'));
  });

  it('never gives up without a length', () => {
    const patience = new Patience(0);

    patience.toldBusy('cashOut', 0);

    expect(() => patience.toldBusy('cashOut', 3_600_000)).not.toThrow();
  });
});
