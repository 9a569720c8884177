import { AdmissionPressure, AdmissionPressures, queueLimitFor } from './admission-pressure';

describe('admission pressure', () => {
  let now = 0;
  const clock = () => now;

  beforeEach(() => {
    now = 0;
  });

  it('given ten turned away for each one taken in the last second, then the turned away stay away ten times longer', () => {
    const pressure = new AdmissionPressure(clock);
    for (let i = 0; i < 5; i++) pressure.tookOne();
    for (let i = 0; i < 50; i++) pressure.turnedOneAway();
    expect(pressure.factor()).toBe(1); // the window is not over yet
    now = 1000;
    expect(pressure.factor()).toBe(10);
  });

  it('never shortens a retry-after: with none turned away the factor is 1', () => {
    const pressure = new AdmissionPressure(clock);
    pressure.tookOne();
    now = 1000;
    expect(pressure.factor()).toBe(1);
  });

  it('forgets a busy second after a quiet spell', () => {
    const pressure = new AdmissionPressure(clock);
    for (let i = 0; i < 30; i++) pressure.turnedOneAway();
    now = 5000;
    expect(pressure.factor()).toBe(1);
  });

  it('counts everything turned away when nothing was taken', () => {
    const pressure = new AdmissionPressure(clock);
    for (let i = 0; i < 7; i++) pressure.turnedOneAway();
    now = 1500;
    expect(pressure.factor()).toBe(7);
  });
});

describe('queue limit by request type', () => {
  const limits = { maxQueueMs: 2000, entry: { types: ['StartIdentityVerification'], maxQueueMs: 500 } };

  it('holds a request that brings a new person in to the shorter entry limit', () => {
    expect(queueLimitFor('StartIdentityVerification', limits)).toBe(500);
  });

  it('holds the next steps of people already inside to the service\'s limit', () => {
    expect(queueLimitFor('GrantConsent', limits)).toBe(2000);
  });

  it('never lets an entry wait longer than the service\'s own limit', () => {
    expect(queueLimitFor('StartIdentityVerification', { maxQueueMs: 300, entry: limits.entry })).toBe(300);
  });

  it('has no limit where none is set', () => {
    expect(queueLimitFor('GrantConsent', {})).toBeUndefined();
  });
});

describe('pressure at the door and inside', () => {
  it('given ten newcomers turned away for each one let in, then only newcomers are told to stay away longer', () => {
    let now = 0;
    const pressures = new AdmissionPressures(['StartIdentityVerification'], () => now);
    const door = pressures.of('StartIdentityVerification');
    const inside = pressures.of('GrantConsents');
    door.tookOne();
    for (let i = 0; i < 10; i++) door.turnedOneAway();
    for (let i = 0; i < 5; i++) inside.tookOne();
    now = 1000;
    expect(door.factor()).toBe(10);
    expect(inside.factor()).toBe(1);
  });
});
