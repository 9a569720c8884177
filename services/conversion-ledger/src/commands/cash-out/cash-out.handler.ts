import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { CashOut, CashOutView } from '@pointsweep/contracts';
import { AssertionVerifier, MessageContext } from '@pointsweep/messaging';
import { acceptCashOut } from './accept-cash-out';
import { requestFingerprint } from './request-fingerprint';

@Controller()
export class CashOutHandler {
  constructor(private readonly verifier: AssertionVerifier) {}

  /** Sweeps one or more programs to cash without a prior quote. */
  @MessagePattern(CashOut.name)
  async handle(@Payload() command: CashOut, @Ctx() ctx: MessageContext): Promise<CashOutView> {
    const personId = this.verifier.verify(command.assertion, ctx.acceptedAt);
    return acceptCashOut(ctx, {
      personId,
      requestId: command.requestId,
      fingerprint: requestFingerprint(command),
      accountId: command.accountId,
      parts: command.parts,
    });
  }
}
