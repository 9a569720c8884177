import { ActivePayout, BankOutcome, decide, DEFAULT_PAYOUT_POLICY, escalate, evolve, PayoutPolicy, planCall, backoff } from './payout-decision';

const policy: PayoutPolicy = { ...DEFAULT_PAYOUT_POLICY, maxAttempts: 10, deadlineMs: 600_000, baseDelayMs: 1000, maxDelayMs: 60_000 };
const now = new Date('2026-11-26T01:00:05Z'); // 10:00:05 KST

function given(overrides: Partial<ActivePayout> = {}): ActivePayout {
  return {
    partId: '6f1c2a3e-0000-4000-8000-000000000001',
    status: 'PENDING',
    amountWon: 66,
    transferDate: '20261126',
    bankTransactionId: 'PTSWEEP001U000000001',
    attempts: 0,
    elapsedMs: 1000,
    ...overrides,
  };
}

/** given a payout, when the bank answers, then this decision and status. */
function when(payout: ActivePayout, outcome: BankOutcome) {
  const decision = decide(payout, outcome, policy, now);
  return { decision, status: evolve(decision) };
}

describe('payout decision', () => {
  describe('a first transfer', () => {
    it('0000: paid, settled now', () => {
      expect(when(given(), { type: 'TransferCompleted', responseCode: '0000' })).toEqual({
        decision: { type: 'MarkPaid', settledAt: now },
        status: 'PAID',
      });
    });

    it.each(['0021', '0022'] as const)('%s: failed for good, with the bank code', (code) => {
      const { decision, status } = when(given(), { type: 'TransferRejected', responseCode: code, detail: `rejected (${code})` });
      expect(status).toBe('FAILED');
      expect(decision).toEqual({ type: 'MarkFailed', code: `BANK_${code}`, reason: `rejected (${code})` });
    });

    it.each(['0031', '0099'] as const)('%s: stays pending, retried later under a fresh id with backoff', (code) => {
      const { decision, status } = when(given({ attempts: 2 }), { type: 'TransferDeferred', responseCode: code, detail: 'later' });
      expect(status).toBe('PENDING');
      expect(decision).toEqual({ type: 'RetryWithNewId', delayMs: 4000, reason: 'later' });
    });

    it.each([
      ['no answer (timeout)', undefined],
      ['0009 timeout', '0009'],
      ['0001 still processing', '0001'],
      ['0011 duplicate id', '0011'],
      ['HTTP 502', undefined],
    ])('%s: outcome unknown, never resent blindly: ask the inquiry', (detail, code) => {
      const { decision, status } = when(given(), { type: 'TransferOutcomeUnknown', responseCode: code, detail });
      expect(status).toBe('UNKNOWN');
      expect(decision).toEqual({ type: 'AwaitInquiry', delayMs: 1000, reason: detail });
    });
  });

  describe('an unknown outcome settled by the inquiry', () => {
    const unknown = given({ status: 'UNKNOWN', attempts: 1 });

    it('COMPLETED for the amount we sent: paid', () => {
      expect(when(unknown, { type: 'InquiryCompleted', responseCode: '0000', amountWon: 66 }).status).toBe('PAID');
    });

    it('COMPLETED for another amount: manual review, not paid', () => {
      const { decision, status } = when(unknown, { type: 'InquiryCompleted', amountWon: 67 });
      expect(status).toBe('MANUAL_REVIEW');
      expect(decision).toMatchObject({ reason: expect.stringContaining('67') });
    });

    it('404: the transfer never happened, resend with the SAME id at once', () => {
      expect(when(unknown, { type: 'InquiryNotFound' })).toEqual({
        decision: { type: 'ResendSameId', reason: 'bank has no record of the transfer' },
        status: 'PENDING',
      });
    });

    it('inquiry unreachable: stays unknown and asks again later, backing off', () => {
      const { decision, status } = when(given({ status: 'UNKNOWN', attempts: 3 }), { type: 'InquiryUnavailable', detail: 'OUTCOME_UNKNOWN' });
      expect(status).toBe('UNKNOWN');
      expect(decision).toEqual({ type: 'AwaitInquiry', delayMs: 8000, reason: 'OUTCOME_UNKNOWN' });
    });

    it('still in progress at the bank: asks again later', () => {
      expect(when(unknown, { type: 'InquiryInProgress', detail: 'PROCESSING' }).status).toBe('UNKNOWN');
    });

    it.each(['0021', '0022'])('FAILED with %s: failed for good', (code) => {
      expect(when(unknown, { type: 'InquiryFailed', responseCode: code })).toMatchObject({
        decision: { type: 'MarkFailed', code: `BANK_${code}` },
        status: 'FAILED',
      });
    });

    it('FAILED for a passing reason (0031): not applied, so a fresh id later is safe', () => {
      expect(when(unknown, { type: 'InquiryFailed', responseCode: '0031' })).toMatchObject({
        decision: { type: 'RetryWithNewId', delayMs: 2000 },
        status: 'PENDING',
      });
    });
  });

  describe('bounded attempts and time', () => {
    it('a pending payout out of time is escalated without calling the bank', () => {
      const late = given({ elapsedMs: 600_000, attempts: 4 });
      expect(planCall(late, policy)).toBe('ESCALATE');
      expect(evolve(escalate(late, policy))).toBe('MANUAL_REVIEW');
      expect(escalate(late, policy)).toEqual({ type: 'EscalateToManualReview', reason: 'gave up after 600 s (deadline 600 s)' });
    });

    it('a pending payout out of attempts is escalated without calling the bank', () => {
      expect(planCall(given({ attempts: 10 }), policy)).toBe('ESCALATE');
    });

    it('an unknown payout out of time still gets one last inquiry', () => {
      expect(planCall(given({ status: 'UNKNOWN', elapsedMs: 900_000 }), policy)).toBe('INQUIRY');
    });

    it('and that inquiry can still settle it as paid', () => {
      expect(when(given({ status: 'UNKNOWN', elapsedMs: 900_000, attempts: 9 }), { type: 'InquiryCompleted', amountWon: 66 }).status).toBe('PAID');
    });

    it('but if it settles nothing, the payout goes to manual review (kept, never retried blindly)', () => {
      const { decision, status } = when(given({ status: 'UNKNOWN', attempts: 9 }), { type: 'InquiryUnavailable', detail: 'down' });
      expect(status).toBe('MANUAL_REVIEW');
      expect(decision).toEqual({ type: 'EscalateToManualReview', reason: 'outcome still unknown: down; gave up after 10 bank calls' });
    });

    it('a definite failure is final even when out of attempts', () => {
      expect(when(given({ attempts: 9 }), { type: 'TransferRejected', responseCode: '0021', detail: 'x' }).status).toBe('FAILED');
    });

    it('deferred past the deadline: manual review', () => {
      expect(when(given({ elapsedMs: 700_000 }), { type: 'TransferDeferred', responseCode: '0099', detail: 'maintenance' }).status).toBe('MANUAL_REVIEW');
    });

    it('backoff doubles from the base and is capped', () => {
      expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) => backoff(n, policy))).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    });
  });

  describe('what to call', () => {
    it('pending: transfer; unknown: inquiry', () => {
      expect(planCall(given(), policy)).toBe('TRANSFER');
      expect(planCall(given({ status: 'UNKNOWN' }), policy)).toBe('INQUIRY');
    });
  });
});
