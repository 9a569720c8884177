import { formatBankTransactionId, transferDateOf } from './bank-transaction-id';

describe('bank transaction id', () => {
  it('is 20 characters: institution code, U, 9 zero-padded base-36 digits', () => {
    expect(formatBankTransactionId(1n)).toBe('PTSWEEP001U000000001');
    expect(formatBankTransactionId(36n)).toBe('PTSWEEP001U000000010');
    expect(formatBankTransactionId(36n ** 9n - 1n)).toBe('PTSWEEP001U' + 'Z'.repeat(9));
    expect(formatBankTransactionId(123456789n)).toMatch(/^[0-9A-Z]{10}U[0-9A-Z]{9}$/);
  });

  it('refuses numbers that do not fit 9 characters', () => {
    expect(() => formatBankTransactionId(36n ** 9n)).toThrow(/out of range/);
    expect(() => formatBankTransactionId(0n)).toThrow(/out of range/);
  });
});

describe('transfer date', () => {
  it('is the KST calendar date, whatever the machine zone', () => {
    expect(transferDateOf(new Date('2026-11-26T14:59:59Z'))).toBe('20261126');
    expect(transferDateOf(new Date('2026-11-26T15:00:00Z'))).toBe('20261127'); // 00:00 KST
  });
});
