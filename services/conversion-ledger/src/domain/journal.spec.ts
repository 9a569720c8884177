import { assertBalanced, chainHash, GENESIS_HASH, payoutLines, redemptionLines, reversalOf, unbalancedUnits } from './journal';

describe('ledger journals', () => {
  it('balances a Hyundai redemption in points and in won separately', () => {
    const lines = redemptionLines('HYUNDAI_M', 'HYUNDAI', 99, 66);
    expect(unbalancedUnits(lines)).toEqual([]);
    expect(() => assertBalanced(lines)).not.toThrow();
  });

  it('refuses a journal that moves won without a counterpart', () => {
    const lines = [...payoutLines(66)].slice(0, 1);
    expect(() => assertBalanced(lines)).toThrow('does not balance in KRW');
  });

  it('reverses a journal by turning every sign, which again balances', () => {
    const reversed = reversalOf(redemptionLines('KB_POINTREE', 'KB', 500, 500));
    expect(unbalancedUnits(reversed)).toEqual([]);
    expect(reversed[0].amount).toBe(-500);
  });

  it('changes the chain hash when any amount is tampered with', () => {
    const journal = { id: 'j1', shard: 0, seq: 1, kind: 'PAYOUT' as const, partId: 'p1', occurredAt: '2026-11-26T01:00:00.000Z', lines: payoutLines(66) };
    const tampered = { ...journal, lines: payoutLines(67) };
    expect(chainHash(GENESIS_HASH, journal)).not.toEqual(chainHash(GENESIS_HASH, tampered));
  });
});
