import { DEFAULT_PAYOUT_POLICY, PayoutPolicy } from './payout-decision';

export const PAYOUT_POLICY = Symbol('PAYOUT_POLICY');

type Env = Record<string, string | undefined>;

const ENV_NAMES: Record<keyof PayoutPolicy, string> = {
  deadlineMs: 'PAYOUT_DEADLINE_MS',
  maxAttempts: 'PAYOUT_MAX_ATTEMPTS',
  baseDelayMs: 'PAYOUT_BASE_DELAY_MS',
  maxDelayMs: 'PAYOUT_MAX_DELAY_MS',
  leaseMs: 'PAYOUT_LEASE_MS',
  transferTimeoutMs: 'PAYOUT_TRANSFER_TIMEOUT_MS',
  inquiryTimeoutMs: 'PAYOUT_INQUIRY_TIMEOUT_MS',
};

/** Defaults, overridden by PAYOUT_* environment variables (positive whole numbers). */
export function payoutPolicyFromEnv(env: Env, defaults: PayoutPolicy = DEFAULT_PAYOUT_POLICY): PayoutPolicy {
  const policy = { ...defaults };
  for (const [field, name] of Object.entries(ENV_NAMES) as [keyof PayoutPolicy, string][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number, got ${raw}`);
    policy[field] = value;
  }
  // A lease shorter than a bank call would let a second worker call the bank for the same payout.
  if (policy.leaseMs <= Math.max(policy.transferTimeoutMs, policy.inquiryTimeoutMs)) {
    throw new Error('PAYOUT_LEASE_MS must be longer than the bank call timeouts');
  }
  return policy;
}
