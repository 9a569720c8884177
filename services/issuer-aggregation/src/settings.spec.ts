import { DEFAULT_ISSUER_SETTINGS, issuerSettings } from './settings';

describe('issuer settings', () => {
  it('given nothing configured, when read, then the defaults hold (2 s timeout, 2.5 s budget, 15 s settlement)', () => {
    expect(issuerSettings({})).toEqual(DEFAULT_ISSUER_SETTINGS);
    expect(DEFAULT_ISSUER_SETTINGS).toMatchObject({ issuerTimeoutMs: 2000, lookupBudgetMs: 2500, redemptionSettleMs: 15_000 });
  });

  it('given the environment and overrides, when read, then overrides win over the environment', () => {
    expect(issuerSettings({ LOOKUP_BUDGET_MS: '1000', ISSUER_TIMEOUT_MS: '800' }, { issuerTimeoutMs: 500 })).toMatchObject({ lookupBudgetMs: 1000, issuerTimeoutMs: 500 });
  });

  it('given a value that is not a positive integer, when read, then it is refused', () => {
    expect(() => issuerSettings({ LOOKUP_BUDGET_MS: 'soon' })).toThrow(/lookupBudgetMs/);
    expect(() => issuerSettings({}, { issuerCapacity: 0 })).toThrow(/issuerCapacity/);
  });
});
