import { PointsweepError, PROGRAMS } from '@pointsweep/contracts';
import { HanaConnector } from './hana.connector';
import { HyundaiConnector } from './hyundai.connector';
import { issuerFailure, parsePointsBody, parseReceipt, parseRefundReceipt, plainBalance, sumSubBalances } from './issuer-responses';

const programsOf = (issuer: string) => PROGRAMS.filter((p) => p.issuer === issuer);

describe('issuer responses', () => {
  it('given Hana sub-balances, when summed, then the balance is their total', () => {
    const subs = [{ name: 'A', points: 1200, expiresOn: '2026-12-31' }, { name: 'B', points: 300, expiresOn: '2027-01-31' }, { name: 'C', points: 45, expiresOn: null }];
    expect(sumSubBalances('HANA', subs)).toBe(1545);
  });

  it('given a malformed Hana sub-balance, when summed, then the answer is refused as unreadable (retriable)', () => {
    expect(() => sumSubBalances('HANA', [{ points: 1.5 }])).toThrow(expect.objectContaining({ code: 'ISSUER_BAD_RESPONSE', retriable: true }));
    expect(() => sumSubBalances('HANA', undefined)).toThrow(PointsweepError);
  });

  it('given Woori answering two programs, when parsed, then both come back with their own balance and schedule', () => {
    const body = {
      asOf: '2026-11-26T10:00:00+09:00',
      programs: [
        { program: 'WOORI_WIBEE', balance: 500, expiring: [{ date: '2026-12-31', points: 100 }] },
        { program: 'WOORI_MOA', balance: 70, expiring: [] },
      ],
    };
    const parsed = parsePointsBody('WOORI', programsOf('WOORI'), body, (e) => plainBalance('WOORI', e));
    expect(parsed).toEqual({
      asOf: '2026-11-26T01:00:00.000Z',
      programs: [
        { program: 'WOORI_WIBEE', balance: 500, expiring: [{ date: '2026-12-31', points: 100 }] },
        { program: 'WOORI_MOA', balance: 70, expiring: [] },
      ],
    });
  });

  it('given an answer that leaves a program out, when parsed, then only the programs present are fetched', () => {
    const body = { asOf: '2026-11-26T01:00:00Z', programs: [{ program: 'WOORI_MOA', balance: 70 }, { program: 'KB_POINTREE', balance: 1 }] };
    expect(parsePointsBody('WOORI', programsOf('WOORI'), body, (e) => plainBalance('WOORI', e)).programs.map((p) => p.program)).toEqual(['WOORI_MOA']);
  });

  it('given a fractional balance or a bad schedule, when parsed, then the answer is unreadable', () => {
    const parse = (programs: unknown[]) => () => parsePointsBody('KB', programsOf('KB'), { asOf: '2026-11-26T01:00:00Z', programs }, (e) => plainBalance('KB', e));
    expect(parse([{ program: 'KB_POINTREE', balance: 10.5 }])).toThrow(expect.objectContaining({ code: 'ISSUER_BAD_RESPONSE' }));
    expect(parse([{ program: 'KB_POINTREE', balance: 10, expiring: [{ date: 'soon', points: 1 }] }])).toThrow(expect.objectContaining({ code: 'ISSUER_BAD_RESPONSE' }));
  });

  it('given HTTP failures, when classified, then 5xx is retriable and 4xx is a final business answer', () => {
    expect(issuerFailure('KB', 'redemption', 422, { code: 'INSUFFICIENT_POINTS', message: 'only 3' })).toMatchObject({ code: 'INSUFFICIENT_POINTS', retriable: false });
    expect(issuerFailure('KB', 'redemption', 409, { code: 'IDEMPOTENCY_KEY_REUSED' })).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', retriable: false });
    expect(issuerFailure('KB', 'redemption', 503, { code: 'ISSUER_DOWN' })).toMatchObject({ code: 'ISSUER_DOWN', retriable: true });
    expect(issuerFailure('KB', 'redemption', 500, undefined)).toMatchObject({ code: 'ISSUER_ERROR', retriable: true });
    expect(issuerFailure('KB', 'redemption', 503, '<html>')).toMatchObject({ code: 'ISSUER_ERROR', retriable: true });
  });

  it('given a redemption result, when parsed, then the transaction id is required', () => {
    expect(parseReceipt('KB', { transactionId: 'R1', program: 'KB_POINTREE', points: 5, balanceAfter: 0 })).toEqual({ transactionId: 'R1', program: 'KB_POINTREE', points: 5 });
    expect(() => parseReceipt('KB', { program: 'KB_POINTREE', points: 5 })).toThrow(expect.objectContaining({ code: 'ISSUER_BAD_RESPONSE' }));
  });
});

describe('issuer adapters', () => {
  const never = AbortSignal.abort();

  it('given 100 Hyundai M-points, when redeemed, then it is refused before any call: only lots of 3 convert', async () => {
    const hyundai = new HyundaiConnector('http://127.0.0.1:9', 100);
    await expect(hyundai.redeem({ idempotencyKey: 'k-00000001', ci: 'ci', program: 'HYUNDAI_M', points: 100 }, never))
      .rejects.toMatchObject({ code: 'POINTS_NOT_CONVERTIBLE', retriable: false });
  });

  it('given a Hana answer, when its balance is read, then it is the sum of sub-balances, not the reported field', () => {
    class Probe extends HanaConnector {
      read(entry: Record<string, unknown>) { return this.balanceOf(entry); }
    }
    expect(new Probe('http://x', 1).read({ program: 'HANA_MONEY', balance: 1, subBalances: [{ points: 10 }, { points: 20 }, { points: 30 }] })).toBe(60);
  });

  it('given a refund answer, when parsed, then the refund id and the echoed fields come back', () => {
    const body = { refundId: 'F0A1', program: 'KB_POINTREE', points: 500, redemptionTransactionId: 'R42', balanceAfter: 1500, refundedAt: 'x' };
    expect(parseRefundReceipt('KB', body)).toEqual({ refundId: 'F0A1', program: 'KB_POINTREE', points: 500, redemptionTransactionId: 'R42', balanceAfter: 1500 });
    expect(parseRefundReceipt('KB', { refundId: 'F0A1', balanceAfter: 0 })).toEqual({ refundId: 'F0A1', balanceAfter: 0 });
  });

  it('given a refund answer without a usable refund id or with malformed points, when parsed, then it is unreadable (retriable)', () => {
    expect(() => parseRefundReceipt('KB', { balanceAfter: 10 })).toThrow(expect.objectContaining({ code: 'ISSUER_BAD_RESPONSE', retriable: true }));
    expect(() => parseRefundReceipt('KB', { refundId: 'x'.repeat(65) })).toThrow(expect.objectContaining({ code: 'ISSUER_BAD_RESPONSE' }));
    expect(() => parseRefundReceipt('KB', { refundId: 'F1', points: -1 })).toThrow(expect.objectContaining({ code: 'ISSUER_BAD_RESPONSE' }));
  });

  it('given the card company refuses a refund, when translated, then the refusal is final and its code is kept', () => {
    expect(issuerFailure('KB', 'refund', 404, { code: 'REDEMPTION_NOT_FOUND', message: 'no' })).toMatchObject({ code: 'REDEMPTION_NOT_FOUND', retriable: false });
    expect(issuerFailure('KB', 'refund', 422, { code: 'REFUND_EXCEEDS_REDEMPTION' })).toMatchObject({ code: 'REFUND_EXCEEDS_REDEMPTION', retriable: false });
  });
});
