export { bankSettlementService } from './bank-settlement.service';
export { BankSettlementModule } from './bank-settlement.module';
export { PayoutWorker } from './payouts/payout-worker';
export { PayoutReleaser } from './payouts/payout-releaser';
export { DEFAULT_PAYOUT_POLICY } from './payouts/payout-decision';
export type { PayoutPolicy, PayoutStatus } from './payouts/payout-decision';
export { payoutPolicyFromEnv } from './payouts/payout-policy';
export { DEFAULT_RELEASE_POLICY, releasePolicyFromEnv } from './payouts/release-policy';
export type { ReleasePolicy } from './payouts/release-policy';
// The worker's database side, for the system tests of its lease fencing.
export { PayoutStore } from './payouts/payout-store';
export type { ClaimedPayout } from './payouts/payout-store';
