import { DynamicModule, Module } from '@nestjs/common';
import { MessagingRuntime, PlatformModule, ServiceConfig } from '@pointsweep/messaging';
import { CashOutHandler } from './commands/cash-out/cash-out.handler';
import { GetCashOutStatusHandler } from './commands/get-cash-out-status/get-cash-out-status.handler';
import { CompletePartWhenPayoutSettledHandler } from './events/complete-part-when-payout-settled/complete-part-when-payout-settled.handler';
import { FailPartWhenPointsRedemptionFailedHandler } from './events/fail-part-when-points-redemption-failed/fail-part-when-points-redemption-failed.handler';
import { PayPartWhenPointsRedeemedHandler } from './events/pay-part-when-points-redeemed/pay-part-when-points-redeemed.handler';
import { RecordAccountWhenPayoutAccountVerifiedHandler } from './events/record-account-when-payout-account-verified/record-account-when-payout-account-verified.handler';
import { QuoteCashOutHandler } from './commands/quote-cash-out/quote-cash-out.handler';
import { ConfirmQuoteHandler } from './commands/confirm-quote/confirm-quote.handler';
import { ListManualReviewHandler } from './commands/list-manual-review/list-manual-review.handler';
import { FailPartWhenPointsRefundedHandler } from './events/fail-part-when-points-refunded/fail-part-when-points-refunded.handler';
import { SchedulePartWhenPayoutScheduledHandler } from './events/schedule-part-when-payout-scheduled/schedule-part-when-payout-scheduled.handler';
import { ReviewPartWhenPayoutNeedsReviewHandler } from './events/review-part-when-payout-needs-review/review-part-when-payout-needs-review.handler';
import { SagaWatchdog } from './watchdog/saga-watchdog';
import { SagaBackpressure } from './admission/saga-backpressure';
import { RefundPointsWhenPayoutFailedHandler } from './events/refund-points-when-payout-failed/refund-points-when-payout-failed.handler';

@Module({})
export class ConversionLedgerModule {
  static forRoot(runtime: MessagingRuntime, config: ServiceConfig): DynamicModule {
    return {
      module: ConversionLedgerModule,
      imports: [PlatformModule.forRoot(runtime, config)],
      controllers: [
        CashOutHandler,
        GetCashOutStatusHandler,
        PayPartWhenPointsRedeemedHandler,
        FailPartWhenPointsRedemptionFailedHandler,
        CompletePartWhenPayoutSettledHandler,
        RefundPointsWhenPayoutFailedHandler,
        RecordAccountWhenPayoutAccountVerifiedHandler,
        QuoteCashOutHandler,
        ConfirmQuoteHandler,
        ListManualReviewHandler,
        FailPartWhenPointsRefundedHandler,
        SchedulePartWhenPayoutScheduledHandler,
        ReviewPartWhenPayoutNeedsReviewHandler,
      ],
      providers: [SagaWatchdog, SagaBackpressure],
    };
  }
}
