/** Tunables of the card-company connectors, lookups and redemptions. Durations are milliseconds. */
export interface IssuerSettings {
  /** Per-call timeout of one card-company request; the HTTP call is aborted when it passes. */
  issuerTimeoutMs: number;
  /** Bulkhead: concurrent calls allowed per card company. */
  issuerCapacity: number;
  /** Token bucket per card company: sustained calls per second, and the burst it tolerates. */
  issuerRatePerSecond: number;
  issuerBurst: number;
  breakerVolumeThreshold: number;
  breakerErrorThresholdPercentage: number;
  breakerResetTimeoutMs: number;
  /** A lookup answers within this budget, whatever the card companies do. */
  lookupBudgetMs: number;
  /**
   * How long a lookup waits for a card company whose breaker is not closed (its trial call after a failure):
   * the trial runs on to its own timeout and teaches the breaker, but no lookup waits the full budget for it.
   */
  lookupTrialWaitMs: number;
  /** How long a redemption with an unknown outcome is retried/inquired before it is settled. */
  redemptionSettleMs: number;
  redemptionBackoffInitialMs: number;
  redemptionBackoffMaxMs: number;
  /**
   * How long one run of RefundPoints tries (with the redemption back-off) before it hands back a retriable error.
   * Refunds never fail for unavailability: the transport, then the ledger's watchdog, send them again.
   */
  refundSettleMs: number;
}

export const ISSUER_SETTINGS = Symbol('ISSUER_SETTINGS');

export const DEFAULT_ISSUER_SETTINGS: IssuerSettings = {
  issuerTimeoutMs: 2000,
  issuerCapacity: 32,
  // 300 lookups/s with people holding 6 of the 11 companies is ~165-200 calls/s to a popular one: at 200 the
  // limiter itself turned healthy companies' answers STALE.
  issuerRatePerSecond: 400,
  issuerBurst: 400,
  breakerVolumeThreshold: 10,
  breakerErrorThresholdPercentage: 50,
  breakerResetTimeoutMs: 10_000,
  lookupBudgetMs: 2500,
  lookupTrialWaitMs: 250,
  redemptionSettleMs: 15_000,
  redemptionBackoffInitialMs: 200,
  redemptionBackoffMaxMs: 2000,
  refundSettleMs: 5000,
};

const ENV_NAMES: Record<keyof IssuerSettings, string> = {
  issuerTimeoutMs: 'ISSUER_TIMEOUT_MS',
  issuerCapacity: 'ISSUER_CAPACITY',
  issuerRatePerSecond: 'ISSUER_RATE_PER_SECOND',
  issuerBurst: 'ISSUER_BURST',
  breakerVolumeThreshold: 'BREAKER_VOLUME_THRESHOLD',
  breakerErrorThresholdPercentage: 'BREAKER_ERROR_THRESHOLD_PERCENTAGE',
  breakerResetTimeoutMs: 'BREAKER_RESET_TIMEOUT_MS',
  lookupBudgetMs: 'LOOKUP_BUDGET_MS',
  lookupTrialWaitMs: 'LOOKUP_TRIAL_WAIT_MS',
  redemptionSettleMs: 'REDEMPTION_SETTLE_MS',
  redemptionBackoffInitialMs: 'REDEMPTION_BACKOFF_INITIAL_MS',
  redemptionBackoffMaxMs: 'REDEMPTION_BACKOFF_MAX_MS',
  refundSettleMs: 'REFUND_SETTLE_MS',
};

/** Defaults, then the environment, then explicit overrides (tests); every value must be a positive integer. */
export function issuerSettings(env: Record<string, string | undefined>, overrides: Partial<IssuerSettings> = {}): IssuerSettings {
  const settings = { ...DEFAULT_ISSUER_SETTINGS };
  for (const key of Object.keys(ENV_NAMES) as (keyof IssuerSettings)[]) {
    const raw = env[ENV_NAMES[key]];
    if (raw !== undefined && raw !== '') settings[key] = Number(raw);
  }
  Object.assign(settings, overrides);
  for (const [key, value] of Object.entries(settings)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`issuer setting ${key} must be a positive integer, got ${value}`);
  }
  return settings;
}
