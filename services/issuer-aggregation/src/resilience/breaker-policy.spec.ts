import { PointsweepError } from '@pointsweep/contracts';
import { breakerStateOf, breakerStateValue, isNotAFailure, translateBreakerError, wasNotSent } from './breaker-policy';

describe('breaker error filter', () => {
  it('given a business rejection (not retriable), when filtered, then it does not count as a failure', () => {
    expect(isNotAFailure(new PointsweepError('INSUFFICIENT_POINTS', 'only 10 points', false))).toBe(true);
  });

  it('given a retriable error (5xx, timeout, unknown outcome), when filtered, then it counts', () => {
    expect(isNotAFailure(new PointsweepError('ISSUER_ERROR', '500', true))).toBe(false);
    expect(isNotAFailure(new PointsweepError('OUTCOME_UNKNOWN', 'timed out', true))).toBe(false);
  });

  it('given a plain error, when filtered, then it counts', () => {
    expect(isNotAFailure(new TypeError('fetch failed'))).toBe(false);
  });
});

describe('breaker errors', () => {
  it('given opossum rejections, when translated, then they are coded retriable errors', () => {
    const coded = (code: string) => Object.assign(new Error(code), { code });
    expect(translateBreakerError('KB', coded('EOPENBREAKER'), 2000)).toMatchObject({ code: 'BREAKER_OPEN', retriable: true });
    expect(translateBreakerError('KB', coded('ESEMLOCKED'), 2000)).toMatchObject({ code: 'BULKHEAD_FULL', retriable: true });
    expect(translateBreakerError('KB', coded('ETIMEDOUT'), 2000)).toMatchObject({ code: 'ISSUER_TIMEOUT', retriable: true });
  });

  it('given our own error, when translated, then it is kept', () => {
    const own = new PointsweepError('INSUFFICIENT_POINTS', 'no');
    expect(translateBreakerError('KB', own, 2000)).toBe(own);
  });

  it('given a call refused locally, when asked, then it was not sent; a timeout may have been', () => {
    expect(wasNotSent(new PointsweepError('BREAKER_OPEN', '', true))).toBe(true);
    expect(wasNotSent(new PointsweepError('RATE_LIMITED', '', true))).toBe(true);
    expect(wasNotSent(new PointsweepError('ISSUER_TIMEOUT', '', true))).toBe(false);
    expect(wasNotSent(new PointsweepError('ISSUER_ERROR', '500', true))).toBe(false);
  });

  it('given the issuer API says 503 ISSUER_DOWN, when asked, then nothing was done', () => {
    expect(wasNotSent(new PointsweepError('ISSUER_DOWN', '503', true))).toBe(true);
  });

  it('given breaker flags, when read, then the state and its gauge value follow', () => {
    expect(breakerStateOf({ opened: true, halfOpen: false })).toBe('open');
    expect(breakerStateOf({ opened: false, halfOpen: true })).toBe('halfOpen');
    expect(breakerStateOf({ opened: false, halfOpen: false })).toBe('closed');
    expect(['closed', 'halfOpen', 'open'].map((s) => breakerStateValue(s as 'closed'))).toEqual([0, 1, 2]);
  });
});
