import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { CashOutView, ErrorCodes, GetCashOutStatus, PointsweepError } from '@pointsweep/contracts';
import { AssertionVerifier, MessageContext } from '@pointsweep/messaging';
import { loadCashOutView } from '../../cash-out.repository';
import { withoutPerson } from '../cash-out/accept-cash-out';

@Controller()
export class GetCashOutStatusHandler {
  constructor(private readonly verifier: AssertionVerifier) {}

  @MessagePattern(GetCashOutStatus.name)
  async handle(@Payload() query: GetCashOutStatus, @Ctx() ctx: MessageContext): Promise<CashOutView> {
    const personId = this.verifier.verify(query.assertion, ctx.acceptedAt);
    const view = await loadCashOutView(ctx.tx, query.cashOutId);
    // Someone else's cash-out is reported exactly like a missing one.
    if (!view || view.personId !== personId) throw new PointsweepError(ErrorCodes.notFound, 'no such cash-out');
    return withoutPerson(view);
  }
}
