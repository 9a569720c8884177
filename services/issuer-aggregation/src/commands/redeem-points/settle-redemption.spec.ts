import { PointsweepError } from '@pointsweep/contracts';
import { RedemptionRequest } from '../../connectors/issuer-connector';
import { AttemptOutcome, classifyAttempt, classifyInquiry, InquiryOutcome, SettlePolicy, settleRedemption } from './settle-redemption';

const request: RedemptionRequest = { idempotencyKey: 'part-0001', ci: 'ci', program: 'KB_POINTREE', points: 500 };
const receipt = { transactionId: 'R42', program: 'KB_POINTREE', points: 500 };
const policy: SettlePolicy = { deadlineMs: 15_000, backoffInitialMs: 200, backoffMaxMs: 2000, mayHaveReachedBefore: false };

/** Scripted card company with a fake clock that only sleeping moves. */
function script(attempts: AttemptOutcome[], inquiries: InquiryOutcome[]) {
  let now = 0;
  const calls: string[] = [];
  const ports = {
    attempt: async () => { calls.push('attempt'); return attempts.shift() ?? attempts[attempts.length - 1] ?? { kind: 'notSent' as const, reason: 'x' }; },
    inquire: async () => { calls.push('inquire'); return inquiries.shift() ?? { kind: 'unanswered' as const, reason: 'down' }; },
    sleep: async (ms: number) => { now += ms; },
    now: () => now,
  };
  return { ports, calls, elapsed: () => now };
}

describe('settle redemption', () => {
  it('given the card company redeems, when settled, then it is redeemed at once', async () => {
    const { ports, calls } = script([{ kind: 'redeemed', receipt }], []);
    expect(await settleRedemption(ports, policy)).toEqual({ kind: 'redeemed', receipt });
    expect(calls).toEqual(['attempt']);
  });

  it('given insufficient points, when settled, then it fails with that code and is not retried', async () => {
    const { ports, calls } = script([{ kind: 'refused', code: 'INSUFFICIENT_POINTS', reason: 'only 3' }], []);
    expect(await settleRedemption(ports, policy)).toMatchObject({ kind: 'failed', code: 'INSUFFICIENT_POINTS' });
    expect(calls).toEqual(['attempt']);
  });

  it('given a timeout after the request left, when the inquiry finds it, then it is redeemed (never assumed failed)', async () => {
    const { ports, calls } = script([{ kind: 'unknown', reason: 'timed out' }], [{ kind: 'found', receipt }]);
    expect(await settleRedemption(ports, policy)).toEqual({ kind: 'redeemed', receipt });
    expect(calls).toEqual(['attempt', 'inquire']);
  });

  it('given a timeout and an inquiry saying it never happened, when retried with the same key, then it is redeemed', async () => {
    const { ports, calls } = script([{ kind: 'unknown', reason: '500' }, { kind: 'redeemed', receipt }], [{ kind: 'neverHappened' }]);
    expect(await settleRedemption(ports, policy)).toEqual({ kind: 'redeemed', receipt });
    expect(calls).toEqual(['attempt', 'inquire', 'attempt']);
  });

  it('given the breaker stays open, when the deadline passes, then it ends ISSUER_UNAVAILABLE without an inquiry', async () => {
    const { ports, calls, elapsed } = script([{ kind: 'notSent', reason: 'breaker open' }], []);
    expect(await settleRedemption(ports, policy)).toMatchObject({ kind: 'failed', code: 'ISSUER_UNAVAILABLE' });
    expect(calls.every((c) => c === 'attempt')).toBe(true);
    expect(elapsed()).toBeLessThanOrEqual(15_000);
  });

  it('given an earlier run may have reached the issuer, when this run starts, then it asks before sending', async () => {
    const { ports, calls } = script([], [{ kind: 'found', receipt }]);
    expect(await settleRedemption(ports, { ...policy, mayHaveReachedBefore: true })).toEqual({ kind: 'redeemed', receipt });
    expect(calls).toEqual(['inquire']);
  });

  it('given an earlier run and a breaker open throughout, when the deadline passes, then it stays unsettled', async () => {
    const { ports } = script([{ kind: 'notSent', reason: 'breaker open' }], []);
    expect(await settleRedemption(ports, { ...policy, mayHaveReachedBefore: true })).toMatchObject({ kind: 'unsettled' });
  });

  it('given unknown outcomes until the deadline, when the last inquiry says it never happened, then ISSUER_UNAVAILABLE', async () => {
    const inquiries: InquiryOutcome[] = [...Array(20)].map(() => ({ kind: 'unanswered', reason: '503' }) as const);
    const { ports, elapsed } = script([{ kind: 'unknown', reason: 'timeout' }], inquiries);
    // the scripted inquiries run out at the end: replace the last one with the final answer
    const settled = settleRedemption({ ...ports, inquire: async () => (elapsed() >= 14_000 ? { kind: 'neverHappened' } : ports.inquire()) }, policy);
    expect(await settled).toMatchObject({ kind: 'failed', code: 'ISSUER_UNAVAILABLE' });
    expect(elapsed()).toBeLessThanOrEqual(15_000);
  });

  it('given unknown outcomes and every inquiry unanswered, when the deadline passes, then it is unsettled (caller retries)', async () => {
    const { ports } = script([{ kind: 'unknown', reason: 'timeout' }], []);
    expect(await settleRedemption(ports, policy)).toMatchObject({ kind: 'unsettled' });
  });
});

describe('classify', () => {
  it('given errors, when classified, then refusals, never-sent and unknown outcomes are told apart', () => {
    expect(classifyAttempt(request, { error: new PointsweepError('INSUFFICIENT_POINTS', 'no') })).toMatchObject({ kind: 'refused', code: 'INSUFFICIENT_POINTS' });
    expect(classifyAttempt(request, { error: new PointsweepError('BREAKER_OPEN', 'open', true) })).toMatchObject({ kind: 'notSent' });
    expect(classifyAttempt(request, { error: new PointsweepError('ISSUER_TIMEOUT', 'slow', true) })).toMatchObject({ kind: 'unknown' });
    expect(classifyAttempt(request, { error: new TypeError('fetch failed') })).toMatchObject({ kind: 'unknown' });
  });

  it('given a receipt for other content under our key, when classified, then it is not taken as ours', () => {
    const other = { ...receipt, points: 1 };
    expect(classifyAttempt(request, { receipt: other })).toMatchObject({ kind: 'refused', code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(classifyInquiry(request, { receipt: other })).toEqual({ kind: 'neverHappened' });
    expect(classifyInquiry(request, { receipt })).toEqual({ kind: 'found', receipt });
    expect(classifyInquiry(request, { receipt: null })).toEqual({ kind: 'neverHappened' });
    expect(classifyInquiry(request, { error: new Error('503') })).toMatchObject({ kind: 'unanswered' });
  });
});
