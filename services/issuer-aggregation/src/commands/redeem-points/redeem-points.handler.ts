import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import { RedeemPoints } from '@pointsweep/contracts';
import { MessageContext, MessagingRuntime } from '@pointsweep/messaging';
import { IssuerGateway } from '../../resilience/issuer-gateway';
import { ISSUER_SETTINGS } from '../../settings';
import type { IssuerSettings } from '../../settings';
import { RedemptionBatch } from './redemption-batch';

@Controller()
export class RedeemPointsHandler {
  constructor(
    @Inject(IssuerGateway) private readonly gateway: IssuerGateway,
    @Inject(ISSUER_SETTINGS) private readonly settings: IssuerSettings,
    private readonly runtime: MessagingRuntime,
    private readonly dataSource: DataSource,
  ) {}

  /**
   * Sent by the cash-out saga. Ends in PointsRedeemed or PointsRedemptionFailed. The work is done with the other
   * redemptions of the same transaction when its handlers have run (RedemptionBatch); no database connection is
   * held by anything but that transaction while the card companies answer.
   */
  @MessagePattern(RedeemPoints.name)
  handle(@Payload() command: RedeemPoints, @Ctx() ctx: MessageContext): void {
    RedemptionBatch.of(ctx, { gateway: this.gateway, settings: this.settings, runtime: this.runtime, dataSource: this.dataSource }).add(command, ctx);
  }
}
