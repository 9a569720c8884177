import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put, Res } from '@nestjs/common';
import { Clock } from './clock';
import { invalid, notFound } from './errors';
import { JsonLog, maskAccount } from './log';
import { Sleeper } from './sleeper';
import { Transfer, accountKey, transferKey } from './state';
import { Store } from './store';
import { body, bool, compactDate, isoDate, nonNegativeInt, optional, positiveInt, str } from './validate';

/** Interbank deposit-transfer response codes. */
export const RESPONSE = {
  success: { code: '0000', message: '정상 처리' },
  processing: { code: '0001', message: '처리 중' },
  timeout: { code: '0009', message: '응답 시간 초과 (처리 결과 불명)' },
  duplicate: { code: '0011', message: '거래고유번호 중복' },
  noAccount: { code: '0021', message: '계좌 없음' },
  cannotReceive: { code: '0022', message: '입금 불가 계좌' },
  insufficientFunds: { code: '0031', message: '출금 계좌 잔액 부족' },
  maintenance: { code: '0099', message: '시스템 점검 중' },
} as const;

/** 10-character institution code + 'U' + 9 uppercase alphanumerics. */
export const BANK_TRANSACTION_ID = /^[A-Za-z0-9]{10}U[A-Z0-9]{9}$/;
const BANK_CODE = /^\d{3}$/;
const ACCOUNT_NUMBER = /^\d{6,20}$/;

export const BANK_FAULT_MODES = ['none', 'timeout-after-transfer', 'timeout-before-transfer', 'maintenance', 'insufficient-funds', 'processing'] as const;
export type BankFaultMode = (typeof BANK_FAULT_MODES)[number];

/** The bank's injected fault: kept in memory only. `remaining` null = every transfer until changed. */
export class BankFaults {
  mode: BankFaultMode = 'none';
  remaining: number | null = null;
  hangMs = 3000;

  set(mode: BankFaultMode, count: number | null, hangMs: number): void {
    this.mode = count === 0 ? 'none' : mode;
    this.remaining = mode === 'none' ? null : count;
    this.hangMs = hangMs;
  }

  /** True (and one use spent) when `mode` applies to this transfer. */
  take(mode: BankFaultMode): boolean {
    if (this.mode !== mode || mode === 'none') return false;
    if (this.remaining !== null && --this.remaining <= 0) {
      this.mode = 'none';
      this.remaining = null;
    }
    return true;
  }

  view() {
    return { mode: this.mode, count: this.remaining, hangMs: this.hangMs };
  }
}

@Controller()
export class BankController {
  constructor(
    @Inject(Store) private readonly store: Store,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(JsonLog) private readonly log: JsonLog,
    @Inject(BankFaults) private readonly faults: BankFaults,
    @Inject(Sleeper) private readonly sleeper: Sleeper,
  ) {}

  @Put('admin/bank/accounts')
  registerAccount(@Body() raw: unknown) {
    const b = body(raw);
    const account = {
      bankCode: str(b, 'bankCode', BANK_CODE, 'a 3-digit bank code'),
      accountNumber: str(b, 'accountNumber', ACCOUNT_NUMBER, '6 to 20 digits'),
      holderName: str(b, 'holderName', /^\S(.{0,48}\S)?$/u, 'a name of 1 to 50 characters'),
      birthDate: isoDate(b, 'birthDate'),
      canReceive: optional(b, 'canReceive', () => bool(b, 'canReceive')) ?? true,
    };
    this.store.commit({ t: 'bank.account', account });
    this.log.info('bank account registered', { bankCode: account.bankCode, account: maskAccount(account.accountNumber), canReceive: account.canReceive });
    return { bankCode: account.bankCode, accountNumber: account.accountNumber, canReceive: account.canReceive };
  }

  @Post('bank/accounts/real-name')
  @HttpCode(200)
  realName(@Body() raw: unknown) {
    const b = body(raw);
    const bankCode = str(b, 'bankCode', BANK_CODE, 'a 3-digit bank code');
    const accountNumber = str(b, 'accountNumber', /^\d{1,20}$/, 'digits');
    const account = this.store.state.accounts.get(accountKey(bankCode, accountNumber));
    if (!account) throw notFound('no such account', 'NO_SUCH_ACCOUNT');
    return { holderName: account.holderName, birthDate: account.birthDate };
  }

  @Post('bank/transfers')
  @HttpCode(200)
  async transfer(@Body() raw: unknown, @Res({ passthrough: true }) res: { status(code: number): unknown }) {
    const b = body(raw);
    const transactionId = str(b, 'transactionId', BANK_TRANSACTION_ID, "20 characters: a 10-character institution code, 'U', 9 uppercase alphanumerics");
    const transferDate = compactDate(b.transferDate, 'transferDate');
    const bankCode = str(b, 'bankCode', BANK_CODE, 'a 3-digit bank code');
    const accountNumber = str(b, 'accountNumber', /^\d{1,20}$/, 'digits');
    const amountWon = positiveInt(b, 'amountWon');
    const ids = { transactionId, transferDate };
    const logged = { ...ids, bankCode, account: maskAccount(accountNumber), amountWon };
    const answer = (r: { code: string; message: string }, extra: object = {}) => {
      this.log.info('bank transfer answered', { ...logged, responseCode: r.code });
      return { responseCode: r.code, message: r.message, ...ids, ...extra };
    };

    if (this.faults.take('maintenance')) return answer(RESPONSE.maintenance);
    if (this.faults.take('timeout-before-transfer')) {
      await this.sleeper.sleep(this.faults.hangMs);
      res.status(504);
      return answer(RESPONSE.timeout);
    }
    const original = this.store.state.transfers.get(transferKey(transferDate, transactionId));
    if (original) {
      return answer(RESPONSE.duplicate, {
        originalStatus: original.status,
        original: { status: original.status, responseCode: original.responseCode, amountWon: original.amountWon, recordedAt: original.recordedAt },
      });
    }
    const account = this.store.state.accounts.get(accountKey(bankCode, accountNumber));
    const outcome = !account
      ? RESPONSE.noAccount
      : !account.canReceive
        ? RESPONSE.cannotReceive
        : this.faults.take('insufficient-funds')
          ? RESPONSE.insufficientFunds
          : RESPONSE.success;
    const transfer: Transfer = {
      ...ids,
      bankCode,
      accountNumber,
      amountWon,
      status: outcome === RESPONSE.success ? 'COMPLETED' : 'FAILED',
      responseCode: outcome.code,
      recordedAt: this.clock.iso(),
    };
    this.store.commit({ t: 'bank.transfer', transfer });
    if (outcome !== RESPONSE.success) return answer(outcome);
    if (this.faults.take('timeout-after-transfer')) {
      await this.sleeper.sleep(this.faults.hangMs);
      res.status(504);
      return answer(RESPONSE.timeout);
    }
    if (this.faults.take('processing')) return answer(RESPONSE.processing);
    return answer(RESPONSE.success);
  }

  /** The transfer-result inquiry. */
  @Get('bank/transfers/:transferDate/:transactionId')
  inquiry(@Param('transferDate') transferDate: string, @Param('transactionId') transactionId: string) {
    compactDate(transferDate, 'transferDate');
    const t = this.store.state.transfers.get(transferKey(transferDate, transactionId));
    if (!t) throw notFound('no transfer with this date and transaction id');
    return publicTransfer(t);
  }

  @Get('admin/bank/transfers')
  transfers() {
    return [...this.store.state.transfers.values()].map(publicTransfer);
  }

  @Get('admin/bank/faults')
  getFaults() {
    return this.faults.view();
  }

  @Put('admin/bank/faults')
  setFaults(@Body() raw: unknown) {
    const b = body(raw);
    const mode = b.mode as BankFaultMode;
    if (!BANK_FAULT_MODES.includes(mode)) throw invalid(`mode must be one of ${BANK_FAULT_MODES.join(', ')}`);
    const count = optional(b, 'count', () => nonNegativeInt(b, 'count', 1_000_000)) ?? null;
    const hangMs = optional(b, 'hangMs', () => nonNegativeInt(b, 'hangMs', 600_000)) ?? 3000;
    this.faults.set(mode, count, hangMs);
    this.log.info('bank faults set', this.faults.view());
    return this.faults.view();
  }
}

function publicTransfer(t: Transfer) {
  return {
    transactionId: t.transactionId,
    transferDate: t.transferDate,
    status: t.status,
    responseCode: t.responseCode,
    amountWon: t.amountWon,
    bankCode: t.bankCode,
    accountNumber: t.accountNumber,
    recordedAt: t.recordedAt,
  };
}
