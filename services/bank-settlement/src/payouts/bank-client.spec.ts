import { PointsweepError } from '@pointsweep/contracts';
import { classifyInquiry, classifyTransfer, classifyTransferError } from './bank-client';

describe('bank answers', () => {
  describe('to a transfer', () => {
    it.each([
      ['0000', 'TransferCompleted'],
      ['0001', 'TransferOutcomeUnknown'],
      ['0009', 'TransferOutcomeUnknown'],
      ['0011', 'TransferOutcomeUnknown'],
      ['0021', 'TransferRejected'],
      ['0022', 'TransferRejected'],
      ['0031', 'TransferDeferred'],
      ['0099', 'TransferDeferred'],
      ['0777', 'TransferOutcomeUnknown'],
    ])('HTTP 200 with %s is %s', (responseCode, type) => {
      expect(classifyTransfer({ status: 200, body: { responseCode } })).toMatchObject({ type });
    });

    it('HTTP 504 with 0009 is unknown, whatever the body says', () => {
      expect(classifyTransfer({ status: 504, body: { responseCode: '0009' } })).toMatchObject({ type: 'TransferOutcomeUnknown', responseCode: '0009' });
      expect(classifyTransfer({ status: 500, body: { responseCode: '0021' } })).toMatchObject({ type: 'TransferOutcomeUnknown' });
    });

    it('an unexpected status is unknown, never a failure', () => {
      expect(classifyTransfer({ status: 400, body: { code: 'INVALID' } })).toMatchObject({ type: 'TransferOutcomeUnknown' });
    });

    it('no answer at all (callJson OUTCOME_UNKNOWN) is unknown', () => {
      expect(classifyTransferError(new PointsweepError('OUTCOME_UNKNOWN', 'POST /bank/transfers: timed out', true))).toEqual({
        type: 'TransferOutcomeUnknown',
        detail: 'OUTCOME_UNKNOWN: POST /bank/transfers: timed out',
      });
    });
  });

  describe('to the transfer-result inquiry', () => {
    it('COMPLETED with its amount', () => {
      expect(classifyInquiry({ status: 200, body: { status: 'COMPLETED', responseCode: '0000', amountWon: 66 } })).toEqual({
        type: 'InquiryCompleted', responseCode: '0000', amountWon: 66,
      });
    });

    it('COMPLETED without a whole amount is not trusted', () => {
      expect(classifyInquiry({ status: 200, body: { status: 'COMPLETED', amountWon: 6.5 } })).toMatchObject({ type: 'InquiryUnavailable' });
    });

    it('FAILED with its code', () => {
      expect(classifyInquiry({ status: 200, body: { status: 'FAILED', responseCode: '0022' } })).toEqual({ type: 'InquiryFailed', responseCode: '0022' });
    });

    it('404 means never made', () => {
      expect(classifyInquiry({ status: 404, body: {} })).toEqual({ type: 'InquiryNotFound' });
    });

    it('another status of the transfer is still in progress; a 5xx is unavailable', () => {
      expect(classifyInquiry({ status: 200, body: { status: 'PROCESSING' } })).toMatchObject({ type: 'InquiryInProgress' });
      expect(classifyInquiry({ status: 503, body: undefined })).toMatchObject({ type: 'InquiryUnavailable' });
    });
  });
});
