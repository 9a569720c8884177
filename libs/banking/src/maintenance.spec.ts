import { maintenanceOverlapMs, maintenanceWindowAt, openMaintenanceWindows } from './maintenance';

const kst = (dateTime: string) => new Date(`${dateTime}+09:00`);
const MIN = 60_000;

describe('maintenance windows', () => {
  describe('the service window 23:30–00:30 KST', () => {
    it.each([
      ['2026-11-26T23:29:59', undefined],
      ['2026-11-26T23:30:00', { kind: 'SERVICE', endsAt: kst('2026-11-27T00:30:00') }],
      ['2026-11-26T23:45:00', { kind: 'SERVICE', endsAt: kst('2026-11-27T00:30:00') }],
      ['2026-11-27T00:29:59', { kind: 'SERVICE', endsAt: kst('2026-11-27T00:30:00') }],
      ['2026-11-27T00:30:00', undefined],
      ['2026-11-27T12:00:00', undefined],
    ])('given %s KST, then %j', (at, expected) => {
      expect(maintenanceWindowAt(kst(at))).toEqual(expected);
    });
  });

  describe('the interbank window 23:55–00:05 KST, inside the service window', () => {
    it('given 23:54:59, then only the service window is open', () => {
      expect(openMaintenanceWindows(kst('2026-11-26T23:54:59')).map((w) => w.kind)).toEqual(['SERVICE']);
    });

    it('given 23:55, then both are open, and the bank may be called again only when the later one ends', () => {
      expect(openMaintenanceWindows(kst('2026-11-26T23:55:00'))).toEqual([
        { kind: 'INTERBANK', endsAt: kst('2026-11-27T00:05:00') },
        { kind: 'SERVICE', endsAt: kst('2026-11-27T00:30:00') },
      ]);
      expect(maintenanceWindowAt(kst('2026-11-26T23:55:00'))).toEqual({ kind: 'SERVICE', endsAt: kst('2026-11-27T00:30:00') });
    });

    it('given 00:04:59 then the interbank window is still open; at 00:05 it has closed', () => {
      expect(openMaintenanceWindows(kst('2026-11-27T00:04:59')).map((w) => w.kind)).toEqual(['INTERBANK', 'SERVICE']);
      expect(openMaintenanceWindows(kst('2026-11-27T00:05:00')).map((w) => w.kind)).toEqual(['SERVICE']);
    });

    it('given the interbank window alone, then it is reported with its own end', () => {
      const interbankOnly = [{ kind: 'INTERBANK' as const, startKst: '23:55', endKst: '00:05' }];
      expect(maintenanceWindowAt(kst('2026-11-26T23:55:00'), interbankOnly)).toEqual({ kind: 'INTERBANK', endsAt: kst('2026-11-27T00:05:00') });
      expect(maintenanceWindowAt(kst('2026-11-27T00:05:00'), interbankOnly)).toBeUndefined();
    });
  });

  it('given a window across a month and year end, then it ends on the next KST day', () => {
    expect(maintenanceWindowAt(kst('2026-12-31T23:40:00'))).toEqual({ kind: 'SERVICE', endsAt: kst('2027-01-01T00:30:00') });
  });

  describe('time spent in maintenance', () => {
    it('given a span with no window, then none', () => {
      expect(maintenanceOverlapMs(kst('2026-11-26T10:00:00'), kst('2026-11-26T10:10:00'))).toBe(0);
    });
    it('given a span covering the whole night window, then 60 minutes (the nested interbank window counted once)', () => {
      expect(maintenanceOverlapMs(kst('2026-11-26T23:00:00'), kst('2026-11-27T01:00:00'))).toBe(60 * MIN);
    });
    it('given a span starting inside the window, then only the part inside', () => {
      expect(maintenanceOverlapMs(kst('2026-11-27T00:20:00'), kst('2026-11-27T00:40:00'))).toBe(10 * MIN);
    });
    it('given a span of two nights, then two windows', () => {
      expect(maintenanceOverlapMs(kst('2026-11-26T12:00:00'), kst('2026-11-28T12:00:00'))).toBe(120 * MIN);
    });
    it('given an empty or reversed span, then none', () => {
      expect(maintenanceOverlapMs(kst('2026-11-26T23:40:00'), kst('2026-11-26T23:40:00'))).toBe(0);
      expect(maintenanceOverlapMs(kst('2026-11-26T23:50:00'), kst('2026-11-26T23:40:00'))).toBe(0);
    });
  });
});
