import { programDefinition } from '@pointsweep/contracts';
import { buildOverview, chooseSource, PointsSnapshot, programPoints, wonValue } from './points-overview';

const HYUNDAI = programDefinition('HYUNDAI_M')!;
const SHINHAN = programDefinition('SHINHAN_MYSHINHAN')!;
const HANA = programDefinition('HANA_MONEY')!;

describe('won value', () => {
  it('given a 1:1 program, when valued, then every point is a won', () => {
    expect(wonValue(12_345, SHINHAN.rate)).toBe(12_345);
  });

  it('given 100 Hyundai M-points at 3:2, when valued, then only 99 convert, worth 66 won', () => {
    expect(wonValue(100, HYUNDAI.rate)).toBe(66);
  });

  it('given fewer points than one lot, when valued, then it is worth nothing', () => {
    expect(wonValue(2, HYUNDAI.rate)).toBe(0);
    expect(wonValue(0, SHINHAN.rate)).toBe(0);
  });

  it('given a huge balance, when valued, then the integer result is exact', () => {
    expect(wonValue(999_999_999_999, HYUNDAI.rate)).toBe(666_666_666_666);
  });

  it('given a fractional or negative balance, when valued, then it is refused', () => {
    expect(() => wonValue(1.5, SHINHAN.rate)).toThrow();
    expect(() => wonValue(-1, SHINHAN.rate)).toThrow();
  });
});

describe('program status', () => {
  const fetched = { program: { program: 'HYUNDAI_M', balance: 300, expiring: [{ date: '2026-12-31', points: 30 }] }, asOf: '2026-11-26T01:00:00.000Z' };
  const snapshot: PointsSnapshot = { program: 'HYUNDAI_M', balance: 90, expiring: [], asOf: '2026-11-20T01:00:00.000Z' };

  it('given a fresh answer, when chosen, then it wins over the snapshot and is FRESH', () => {
    const line = programPoints(HYUNDAI, chooseSource(fetched, snapshot));
    expect(line).toEqual({
      program: 'HYUNDAI_M', issuer: 'HYUNDAI', balance: 300, wonValue: 200, expiring: [{ date: '2026-12-31', points: 30 }],
      status: 'FRESH', asOf: '2026-11-26T01:00:00.000Z',
    });
  });

  it('given no answer but a snapshot, when chosen, then the snapshot is shown STALE with its as-of time', () => {
    const line = programPoints(HYUNDAI, chooseSource(undefined, snapshot));
    expect(line).toMatchObject({ balance: 90, wonValue: 60, status: 'STALE', asOf: '2026-11-20T01:00:00.000Z' });
  });

  it('given neither, when chosen, then the program is UNAVAILABLE and worth nothing', () => {
    expect(programPoints(HYUNDAI, chooseSource(undefined, undefined))).toEqual({
      program: 'HYUNDAI_M', issuer: 'HYUNDAI', balance: 0, wonValue: 0, expiring: [], status: 'UNAVAILABLE', asOf: null,
    });
  });
});

describe('points overview', () => {
  it('given fresh, stale and unavailable programs, when built, then the total counts fresh and stale won', () => {
    const overview = buildOverview(
      [SHINHAN, HYUNDAI, HANA],
      new Map([['SHINHAN_MYSHINHAN', { program: { program: 'SHINHAN_MYSHINHAN', balance: 1000, expiring: [] }, asOf: '2026-11-26T01:00:00.000Z' }]]),
      new Map([['HYUNDAI_M', { program: 'HYUNDAI_M', balance: 100, expiring: [], asOf: '2026-11-25T01:00:00.000Z' }]]),
    );
    expect(overview.programs.map((p) => [p.program, p.status, p.wonValue])).toEqual([
      ['SHINHAN_MYSHINHAN', 'FRESH', 1000],
      ['HYUNDAI_M', 'STALE', 66],
      ['HANA_MONEY', 'UNAVAILABLE', 0],
    ]);
    expect(overview.totalWon).toBe(1066);
  });
});
