import { CashOutView } from '@pointsweep/contracts';
import { displayWidth, formatAudit, formatCashOut, formatError, formatManualReview, formatNumber, formatOverview, formatQuote, table } from './format';

describe('table', () => {
  it('pads columns, right-aligns numbers and shows missing values as -', () => {
    expect(table(['NAME', 'WON'], [['a', 1000], ['bbbb', 5], ['c', null]])).toBe(
      ['NAME    WON', '----  -----', 'a     1,000', 'bbbb      5', 'c         -'].join('\n'),
    );
  });
  it('counts Hangul as two columns', () => {
    expect(displayWidth('하나머니')).toBe(8);
    expect(table(['N', 'X'], [['하나', 'y']]).split('\n')[2]).toBe('하나  y');
  });
});

describe('formatters', () => {
  it('formats numbers with separators', () => {
    expect(formatNumber(1234567)).toBe('1,234,567');
    expect(formatNumber(0)).toBe('0');
  });

  it('formats the points overview with the total and the next expiry', () => {
    const text = formatOverview({
      totalWon: 1066,
      programs: [
        { program: 'HYUNDAI_M', issuer: 'HYUNDAI', balance: 100, wonValue: 66, expiring: [{ date: '2026-12-31', points: 10 }, { date: '2026-12-01', points: 5 }], status: 'FRESH', asOf: null },
        { program: 'KB_POINTREE', issuer: 'KB', balance: 1000, wonValue: 1000, expiring: [], status: 'STALE', asOf: '2026-11-25T01:00:00.000Z' },
      ],
    });
    expect(text).toContain('5 on 2026-12-01');
    expect(text).toContain('2026-11-25T01:00:00.000Z');
    expect(text.split('\n').at(-1)).toBe('total 1,066 won');
    expect(formatOverview({ totalWon: 0, programs: [] })).toMatch(/grant consent/);
  });

  it('formats a quote with how to confirm it', () => {
    const text = formatQuote({
      quoteId: 'q1', quotedAt: 't0', expiresAt: 't1', accountId: 'a1', totalWon: 66,
      parts: [{ program: 'HYUNDAI_M', pointsRequested: 100, pointsConsumed: 99, won: 66, payout: 'SCHEDULED', payoutFrom: '2026-11-26T00:00:00.000Z' }],
    });
    expect(text).toContain('HYUNDAI_M');
    expect(text).toContain('2026-11-26T00:00:00.000Z');
    expect(text).toContain('pointsweep cashout --quote q1');
  });

  it('formats a cash-out and its parts', () => {
    const view: CashOutView = {
      cashOutId: 'c1', requestId: 'r1', acceptedAt: 't', state: 'PARTIALLY_FAILED',
      parts: [
        { partId: 'p1', program: 'KB_POINTREE', pointsRequested: 10, pointsConsumed: 10, won: 10, state: 'PAID', bankTransactionId: '0000000001U000000001' },
        { partId: 'p2', program: 'BC_TOP', pointsRequested: 10, pointsConsumed: 0, won: 0, state: 'FAILED', failureCode: 'INSUFFICIENT_POINTS' },
      ],
    };
    const text = formatCashOut(view);
    expect(text).toContain('PARTIALLY_FAILED');
    expect(text).toContain('0000000001U000000001');
    expect(text).toContain('INSUFFICIENT_POINTS');
  });

  it('formats manual review, audit and errors', () => {
    expect(formatManualReview([])).toMatch(/No cash-out parts/);
    expect(formatManualReview([{ partId: 'p', cashOutId: 'c', program: 'BC_TOP', won: 1, state: 'MANUAL_REVIEW', reason: null, since: 's' }])).toContain('MANUAL_REVIEW');
    expect(formatAudit({ ok: false, checks: [{ name: 'chain', ok: false, detail: 'entry 7 altered' }] })).toMatch(/FAILED[\s\S]*LEDGER AUDIT FAILED/);
    expect(formatError({ code: 'NO_CONSENT', message: 'no consent for KB', retriable: false }, false)).toBe('error NO_CONSENT: no consent for KB');
    expect(JSON.parse(formatError({ code: 'X', message: 'm', retriable: true }, true))).toEqual({ ok: false, error: { code: 'X', message: 'm', retriable: true } });
  });
});
