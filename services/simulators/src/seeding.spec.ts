import 'reflect-metadata';
import { PROGRAMS } from '@pointsweep/contracts';
import { PointsBook } from './issuers';
import { Clock } from './clock';
import { Settings } from './settings';
import { Store } from './store';
import { HANA_PROGRAM, MAX_SEEDED_BALANCE, MIN_SEEDED_BALANCE, seededBalance, seededLots, seededPoints, spendSoonestFirst, sumPoints } from './seeding';

const TODAY = '2026-11-25';

describe('seeded points', () => {
  it('gives the same person the same balance and schedule for the same seed', () => {
    for (const { program } of PROGRAMS) {
      expect(seededPoints('pointsweep', 'ci-alice', program, TODAY)).toEqual(seededPoints('pointsweep', 'ci-alice', program, TODAY));
    }
  });

  it('gives other people and other seeds other balances', () => {
    const balances = new Set(['a', 'b', 'c', 'd', 'e'].map((ci) => seededBalance('pointsweep', ci, 'KB_POINTREE')));
    expect(balances.size).toBeGreaterThan(1);
    const seeds = new Set(['s1', 's2', 's3', 's4'].map((seed) => seededBalance(seed, 'ci-alice', 'KB_POINTREE')));
    expect(seeds.size).toBeGreaterThan(1);
  });

  it('seeds whole-point balances between 1,000 and 40,000', () => {
    for (let i = 0; i < 300; i++) {
      const b = seededBalance('pointsweep', `ci-${i}`, PROGRAMS[i % PROGRAMS.length].program);
      expect(Number.isSafeInteger(b)).toBe(true);
      expect(b).toBeGreaterThanOrEqual(MIN_SEEDED_BALANCE);
      expect(b).toBeLessThanOrEqual(MAX_SEEDED_BALANCE);
    }
  });

  it('schedules 1 to 3 future expiries that sum to at most the balance', () => {
    for (let i = 0; i < 200; i++) {
      const program = PROGRAMS[i % PROGRAMS.length].program;
      const p = seededPoints('pointsweep', `ci-${i}`, program, TODAY);
      expect(p.expiring.length).toBeGreaterThanOrEqual(1);
      expect(p.expiring.length).toBeLessThanOrEqual(3);
      expect(p.expiring.reduce((a, e) => a + e.points, 0)).toBeLessThanOrEqual(p.balance);
      for (const e of p.expiring) {
        expect(e.date > TODAY).toBe(true);
        expect(Number.isSafeInteger(e.points)).toBe(true);
      }
      const dates = p.expiring.map((e) => e.date);
      expect([...dates].sort()).toEqual(dates);
    }
  });

  it('splits 하나머니 into three dated sub-balances that add up to the balance', () => {
    for (let i = 0; i < 50; i++) {
      const p = seededPoints('pointsweep', `ci-${i}`, HANA_PROGRAM, TODAY);
      expect(p.subBalances).toHaveLength(3);
      expect(p.subBalances!.reduce((a, s) => a + s.points, 0)).toBe(p.balance);
    }
  });

  it('splits an overridden balance exactly, with no fraction of a point', () => {
    for (const balance of [0, 1, 2, 7, 1001, 999_999]) {
      for (const { program } of PROGRAMS) expect(sumPoints(seededLots('pointsweep', 'ci-x', program, balance, TODAY))).toBe(balance);
    }
  });
});

describe('spending soonest-expiring first', () => {
  const lots = [
    { name: 'later', expiresOn: '2027-03-01', points: 500 },
    { name: 'never', expiresOn: null, points: 1000 },
    { name: 'soonest', expiresOn: '2026-12-01', points: 100 },
  ];

  it('empties the soonest-expiring lot before touching the next one', () => {
    const { left, consumed } = spendSoonestFirst(lots, 250);
    expect(consumed).toEqual([
      { name: 'soonest', expiresOn: '2026-12-01', points: 100 },
      { name: 'later', expiresOn: '2027-03-01', points: 150 },
    ]);
    expect(left.map((l) => l.points)).toEqual([350, 1000, 0]);
  });

  it('spends points that never expire last', () => {
    const { left } = spendSoonestFirst(lots, 700);
    expect(left.map((l) => l.points)).toEqual([0, 900, 0]);
  });

  it('refuses to spend more than the lots hold', () => {
    expect(() => spendSoonestFirst(lots, 1601)).toThrow(RangeError);
  });

  it('takes a 하나머니 redemption from the sub-balance that expires soonest', () => {
    const store = new Store();
    const book = new PointsBook(store, new Settings('pointsweep', '/unused'), new Clock(Date.parse(`${TODAY}T01:00:00Z`) - Date.now()));
    store.state.apply({ t: 'points.balance', program: HANA_PROGRAM, ci: 'ci-hana', balance: 30_000 });
    const before = book.view(HANA_PROGRAM, 'ci-hana').subBalances!;
    const soonest = before[0];
    expect(before.map((s) => s.expiresOn)).toEqual([...before.map((s) => s.expiresOn)].sort());

    const points = soonest.points + 10;
    store.state.apply({
      t: 'points.redeemed',
      key: 'k1',
      fingerprint: 'f',
      ci: 'ci-hana',
      result: { transactionId: 'R1', issuer: 'HANA', program: HANA_PROGRAM, points, balanceAfter: 30_000 - points, consumed: [], redeemedAt: '' },
    });
    const after = book.view(HANA_PROGRAM, 'ci-hana');
    expect(after.balance).toBe(30_000 - points);
    expect(after.subBalances!.map((s) => s.points)).toEqual([0, before[1].points - 10, before[2].points]);
    expect(after.expiring.map((e) => e.date)).toEqual([before[1].expiresOn, before[2].expiresOn]);
  });
});
