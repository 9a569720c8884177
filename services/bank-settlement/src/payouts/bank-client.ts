import { Inject, Injectable } from '@nestjs/common';
import { PointsweepError } from '@pointsweep/contracts';
import { callJson, HttpResult, SERVICE_CONFIG } from '@pointsweep/messaging';
import type { ServiceConfig } from '@pointsweep/messaging';
import { BankOutcome } from './payout-decision';
import { PAYOUT_POLICY } from './payout-policy';
import type { PayoutPolicy } from './payout-decision';

export interface TransferRequest {
  transactionId: string;
  transferDate: string;
  bankCode: string;
  accountNumber: string;
  amountWon: number;
}

/** The interbank deposit-transfer API. Every answer, including no answer, becomes a BankOutcome. */
@Injectable()
export class BankClient {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(PAYOUT_POLICY) private readonly policy: PayoutPolicy,
  ) {}

  async transfer(request: TransferRequest): Promise<BankOutcome> {
    try {
      const result = await callJson(`${this.config.simulatorsUrl}/bank/transfers`, { body: request, timeoutMs: this.policy.transferTimeoutMs });
      return classifyTransfer(result);
    } catch (error) {
      return classifyTransferError(error);
    }
  }

  async inquire(transferDate: string, transactionId: string): Promise<BankOutcome> {
    const path = `/bank/transfers/${encodeURIComponent(transferDate)}/${encodeURIComponent(transactionId)}`;
    try {
      return classifyInquiry(await callJson(`${this.config.simulatorsUrl}${path}`, { timeoutMs: this.policy.inquiryTimeoutMs }));
    } catch (error) {
      return { type: 'InquiryUnavailable', detail: describeError(error) };
    }
  }
}

/** A transfer request that got no answer may still have been applied: never read that as a failure. */
export function classifyTransferError(error: unknown): BankOutcome {
  return { type: 'TransferOutcomeUnknown', detail: describeError(error) };
}

export function classifyTransfer(result: HttpResult): BankOutcome {
  const code = typeof result.body?.responseCode === 'string' ? (result.body.responseCode as string) : undefined;
  if (result.status >= 500) return { type: 'TransferOutcomeUnknown', responseCode: code, detail: `HTTP ${result.status}${code ? ` (${code})` : ''}` };
  if (result.status !== 200) return { type: 'TransferOutcomeUnknown', responseCode: code, detail: `unexpected HTTP ${result.status}` };
  switch (code) {
    case '0000':
      return { type: 'TransferCompleted', responseCode: '0000' };
    case '0001':
      return { type: 'TransferOutcomeUnknown', responseCode: code, detail: 'bank still processing (0001)' };
    case '0009':
      return { type: 'TransferOutcomeUnknown', responseCode: code, detail: 'bank timed out, result unknown (0009)' };
    case '0011':
      // Already used today and not applied again: whether the first one went through is for the inquiry.
      return { type: 'TransferOutcomeUnknown', responseCode: code, detail: 'duplicate transaction id (0011)' };
    case '0021':
      return { type: 'TransferRejected', responseCode: code, detail: 'no such account (0021)' };
    case '0022':
      return { type: 'TransferRejected', responseCode: code, detail: 'account cannot receive (0022)' };
    case '0031':
      return { type: 'TransferDeferred', responseCode: code, detail: 'insufficient funds in the paying account (0031)' };
    case '0099':
      return { type: 'TransferDeferred', responseCode: code, detail: 'bank under maintenance (0099)' };
    default:
      return { type: 'TransferOutcomeUnknown', responseCode: code, detail: `unrecognised response code ${code ?? 'none'}` };
  }
}

export function classifyInquiry(result: HttpResult): BankOutcome {
  if (result.status === 404) return { type: 'InquiryNotFound' };
  if (result.status !== 200) return { type: 'InquiryUnavailable', detail: `inquiry answered HTTP ${result.status}` };
  const body = result.body ?? {};
  const code = typeof body.responseCode === 'string' ? (body.responseCode as string) : undefined;
  if (body.status === 'COMPLETED') {
    if (!Number.isSafeInteger(body.amountWon)) return { type: 'InquiryUnavailable', detail: 'inquiry answered COMPLETED without a whole amount' };
    return { type: 'InquiryCompleted', responseCode: code, amountWon: body.amountWon as number };
  }
  if (body.status === 'FAILED') return { type: 'InquiryFailed', responseCode: code ?? 'NONE' };
  return { type: 'InquiryInProgress', detail: `inquiry status ${String(body.status)}` };
}

function describeError(error: unknown): string {
  if (error instanceof PointsweepError) return `${error.code}: ${error.message}`;
  return (error as Error)?.message ?? String(error);
}
