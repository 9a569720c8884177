import { PointsweepError } from '@pointsweep/contracts';
import { RefundRequest } from '../../connectors/issuer-connector';
import {
  classifyRefundAttempt, classifyRefundInquiry, RefundAttemptOutcome, RefundInquiryOutcome, RefundPolicy, sameRefund, settleRefund,
} from './settle-refund';

const request: RefundRequest = { idempotencyKey: 'refund-0001', ci: 'ci', program: 'KB_POINTREE', points: 500, redemptionTransactionId: 'R42' };
const receipt = { refundId: 'F7', balanceAfter: 1500, program: 'KB_POINTREE', points: 500, redemptionTransactionId: 'R42' };
const policy: RefundPolicy = { deadlineMs: 5000, backoffInitialMs: 200, backoffMaxMs: 2000, mayHaveReachedBefore: false };

/** Scripted card company with a fake clock that only sleeping moves. */
function script(attempts: RefundAttemptOutcome[], inquiries: RefundInquiryOutcome[]) {
  let now = 0;
  const calls: string[] = [];
  const ports = {
    attempt: async () => { calls.push('attempt'); return attempts.length > 1 ? attempts.shift()! : attempts[0] ?? { kind: 'notSent' as const, reason: 'x' }; },
    inquire: async () => { calls.push('inquire'); return inquiries.shift() ?? { kind: 'unanswered' as const, reason: 'down' }; },
    sleep: async (ms: number) => { now += ms; },
    now: () => now,
  };
  return { ports, calls, elapsed: () => now };
}

describe('settle refund', () => {
  it('given the card company refunds, when settled, then it is refunded at once', async () => {
    const { ports, calls } = script([{ kind: 'refunded', receipt }], []);
    expect(await settleRefund(ports, policy)).toEqual({ kind: 'refunded', receipt });
    expect(calls).toEqual(['attempt']);
  });

  it('given the redemption is unknown to the card company, when settled, then it is refused for good without a retry', async () => {
    const { ports, calls } = script([{ kind: 'refused', code: 'REDEMPTION_NOT_FOUND', reason: 'no such redemption' }], []);
    expect(await settleRefund(ports, policy)).toEqual({ kind: 'refused', code: 'REDEMPTION_NOT_FOUND', reason: 'no such redemption' });
    expect(calls).toEqual(['attempt']);
  });

  it('given a timeout after the request left, when the inquiry finds the refund, then it is refunded and not sent again', async () => {
    const { ports, calls } = script([{ kind: 'unknown', reason: 'timed out' }], [{ kind: 'found', receipt }]);
    expect(await settleRefund(ports, policy)).toEqual({ kind: 'refunded', receipt });
    expect(calls).toEqual(['attempt', 'inquire']);
  });

  it('given a 500 and an inquiry saying it never happened, when retried with the same key, then it is refunded', async () => {
    const { ports, calls } = script([{ kind: 'unknown', reason: '500' }, { kind: 'refunded', receipt }], [{ kind: 'neverHappened' }]);
    expect(await settleRefund(ports, policy)).toEqual({ kind: 'refunded', receipt });
    expect(calls).toEqual(['attempt', 'inquire', 'attempt']);
  });

  it('given the card company is down throughout, when the deadline passes, then the refund is pending ISSUER_UNAVAILABLE, never failed', async () => {
    const { ports, calls, elapsed } = script([{ kind: 'notSent', reason: 'breaker open' }], []);
    expect(await settleRefund(ports, policy)).toMatchObject({ kind: 'pending', code: 'ISSUER_UNAVAILABLE' });
    expect(calls.every((c) => c === 'attempt')).toBe(true);
    expect(elapsed()).toBeLessThanOrEqual(5000);
  });

  it('given an unknown outcome and every inquiry unanswered, when the deadline passes, then it is pending with the outcome unknown', async () => {
    const { ports, calls } = script([{ kind: 'unknown', reason: 'timeout' }], []);
    expect(await settleRefund(ports, policy)).toMatchObject({ kind: 'pending', code: 'REFUND_OUTCOME_UNKNOWN' });
    expect(calls.filter((c) => c === 'attempt')).toHaveLength(1); // never sent blindly again
  });

  it('given an earlier run may have reached the card company, when this run starts, then it asks before sending', async () => {
    const { ports, calls } = script([], [{ kind: 'found', receipt }]);
    expect(await settleRefund(ports, { ...policy, mayHaveReachedBefore: true })).toEqual({ kind: 'refunded', receipt });
    expect(calls).toEqual(['inquire']);
  });

  it('given an earlier run that never reached the card company, when the inquiry says so, then the same key is sent', async () => {
    const { ports, calls } = script([{ kind: 'refunded', receipt }], [{ kind: 'neverHappened' }]);
    expect(await settleRefund(ports, { ...policy, mayHaveReachedBefore: true })).toEqual({ kind: 'refunded', receipt });
    expect(calls).toEqual(['inquire', 'attempt']);
  });

  it('given an earlier run and the card company down throughout, when the deadline passes, then it stays pending with the outcome unknown', async () => {
    const { ports } = script([{ kind: 'notSent', reason: 'breaker open' }], []);
    expect(await settleRefund(ports, { ...policy, mayHaveReachedBefore: true })).toMatchObject({ kind: 'pending', code: 'REFUND_OUTCOME_UNKNOWN' });
  });
});

describe('classify refund answers', () => {
  it('given errors, when classified, then refusals, never-sent and unknown outcomes are told apart', () => {
    expect(classifyRefundAttempt(request, { error: new PointsweepError('REDEMPTION_NOT_FOUND', 'no') })).toMatchObject({ kind: 'refused', code: 'REDEMPTION_NOT_FOUND' });
    expect(classifyRefundAttempt(request, { error: new PointsweepError('REFUND_EXCEEDS_REDEMPTION', 'too much') })).toMatchObject({ kind: 'refused', code: 'REFUND_EXCEEDS_REDEMPTION' });
    expect(classifyRefundAttempt(request, { error: new PointsweepError('BREAKER_OPEN', 'open', true) })).toMatchObject({ kind: 'notSent' });
    expect(classifyRefundAttempt(request, { error: new PointsweepError('ISSUER_DOWN', '503', true) })).toMatchObject({ kind: 'notSent' });
    expect(classifyRefundAttempt(request, { error: new PointsweepError('ISSUER_TIMEOUT', 'slow', true) })).toMatchObject({ kind: 'unknown' });
    expect(classifyRefundAttempt(request, { error: new TypeError('fetch failed') })).toMatchObject({ kind: 'unknown' });
  });

  it('given a receipt with only a refund id, when classified, then it is taken as ours', () => {
    expect(classifyRefundAttempt(request, { receipt: { refundId: 'F7', balanceAfter: 10 } })).toMatchObject({ kind: 'refunded' });
    expect(classifyRefundInquiry(request, { receipt: { refundId: 'F7' } })).toMatchObject({ kind: 'found' });
  });

  it('given a receipt for other content under our key, when classified, then it is not taken as ours', () => {
    const other = { ...receipt, redemptionTransactionId: 'R43' };
    expect(classifyRefundAttempt(request, { receipt: other })).toMatchObject({ kind: 'refused', code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(classifyRefundInquiry(request, { receipt: other })).toEqual({ kind: 'neverHappened' });
    expect(classifyRefundInquiry(request, { receipt: { ...receipt, points: 499 } })).toEqual({ kind: 'neverHappened' });
    expect(classifyRefundInquiry(request, { receipt })).toEqual({ kind: 'found', receipt });
    expect(classifyRefundInquiry(request, { receipt: null })).toEqual({ kind: 'neverHappened' });
    expect(classifyRefundInquiry(request, { error: new Error('503') })).toMatchObject({ kind: 'unanswered' });
  });
});

describe('same refund', () => {
  const stored = { partId: 'p', personId: 'q', program: 'KB_POINTREE', points: 500, redemptionTransactionId: 'R42' };

  it('given the watchdog re-sends the same refund, when compared, then it is the same', () => {
    expect(sameRefund(stored, { ...stored })).toBe(true);
  });

  it('given the key reused for other points or another redemption, when compared, then it is not the same', () => {
    expect(sameRefund(stored, { ...stored, points: 400 })).toBe(false);
    expect(sameRefund(stored, { ...stored, redemptionTransactionId: 'R43' })).toBe(false);
    expect(sameRefund(stored, { ...stored, partId: 'other' })).toBe(false);
  });
});
