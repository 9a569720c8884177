export const RELEASE_POLICY = Symbol('RELEASE_POLICY');

/** How fast scheduled payouts are released: at most `perTick` payouts, then a pause of `tickMs`. */
export interface ReleasePolicy {
  perTick: number;
  tickMs: number;
}

/** 200 per second: the morning's queue drains steadily instead of hitting the bank all at 09:00. */
export const DEFAULT_RELEASE_POLICY: ReleasePolicy = { perTick: 200, tickMs: 1000 };

const ENV_NAMES: Record<keyof ReleasePolicy, string> = {
  perTick: 'PAYOUT_RELEASE_PER_TICK',
  tickMs: 'PAYOUT_RELEASE_TICK_MS',
};

/** Defaults, overridden by PAYOUT_RELEASE_* environment variables (positive whole numbers). */
export function releasePolicyFromEnv(env: Record<string, string | undefined>, defaults: ReleasePolicy = DEFAULT_RELEASE_POLICY): ReleasePolicy {
  const policy = { ...defaults };
  for (const [field, name] of Object.entries(ENV_NAMES) as [keyof ReleasePolicy, string][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number, got ${raw}`);
    policy[field] = value;
  }
  return policy;
}
