import { createHash } from 'node:crypto';
import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { CashOutView, ConfirmQuote, ErrorCodes, PointsweepError, QuotePart } from '@pointsweep/contracts';
import { AssertionVerifier, MessageContext } from '@pointsweep/messaging';
import { acceptCashOut } from '../cash-out/accept-cash-out';

@Controller()
export class ConfirmQuoteHandler {
  constructor(private readonly verifier: AssertionVerifier) {}

  /** Redeems exactly the quoted points; an expired quote or someone else's is refused. */
  @MessagePattern(ConfirmQuote.name)
  async handle(@Payload() command: ConfirmQuote, @Ctx() ctx: MessageContext): Promise<CashOutView> {
    const personId = this.verifier.verify(command.assertion, ctx.acceptedAt);
    const fingerprint = createHash('sha256').update(`quote:${command.quoteId}`).digest('hex');
    const [quote]: { person_id: string; account_id: string; parts: QuotePart[]; expires_at: Date }[] = await ctx.tx.query(
      `SELECT person_id, account_id, parts, expires_at FROM quotes WHERE id = $1`,
      [command.quoteId],
    );
    if (!quote || quote.person_id !== personId) throw new PointsweepError(ErrorCodes.notFound, 'no such quote');
    const [confirmed]: { request_id: string }[] = await ctx.tx.query(`SELECT request_id FROM cash_outs WHERE quote_id = $1`, [command.quoteId]);
    // A quote is confirmed once; repeating the same request id still returns the first result.
    if (!confirmed && new Date(quote.expires_at).getTime() <= ctx.acceptedAt.getTime()) {
      throw new PointsweepError(ErrorCodes.quoteExpired, `quote ${command.quoteId} expired at ${new Date(quote.expires_at).toISOString()}; ask for a new one`);
    }
    if (confirmed && confirmed.request_id !== command.requestId) {
      throw new PointsweepError(ErrorCodes.requestIdReused, `quote ${command.quoteId} was already confirmed by another request`);
    }
    return acceptCashOut(ctx, {
      personId,
      requestId: command.requestId,
      fingerprint,
      accountId: quote.account_id,
      parts: quote.parts.map((p) => ({ program: p.program, points: p.pointsConsumed })),
      quoteId: command.quoteId,
    });
  }
}
