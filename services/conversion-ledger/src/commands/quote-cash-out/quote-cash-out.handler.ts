import { randomUUID } from 'node:crypto';
import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { CashOutQuote, programDefinition, QuoteCashOut, QuotePart } from '@pointsweep/contracts';
import { payoutTiming } from '@pointsweep/banking';
import { AssertionVerifier, MessageContext } from '@pointsweep/messaging';
import { assertOwnAccount, convertParts } from '../cash-out/accept-cash-out';

export const QUOTE_TTL_MS = 5 * 60 * 1000;

@Controller()
export class QuoteCashOutHandler {
  constructor(private readonly verifier: AssertionVerifier) {}

  /** What a cash-out would consume and pay, and when; confirming the quote redeems exactly this. */
  @MessagePattern(QuoteCashOut.name)
  async handle(@Payload() command: QuoteCashOut, @Ctx() ctx: MessageContext): Promise<CashOutQuote> {
    const personId = this.verifier.verify(command.assertion, ctx.acceptedAt);
    await assertOwnAccount(ctx, personId, command.accountId);
    const parts: QuotePart[] = convertParts(command.parts).map((part) => {
      const timing = payoutTiming({ cutoffKst: programDefinition(part.program)!.cutoffKst, acceptedAt: ctx.acceptedAt });
      return {
        program: part.program,
        pointsRequested: part.points,
        pointsConsumed: part.pointsConsumed,
        won: part.won,
        payout: timing.mode,
        payoutFrom: (timing.mode === 'SCHEDULED' ? timing.releaseAt : ctx.acceptedAt).toISOString(),
      };
    });
    const quote: CashOutQuote = {
      quoteId: randomUUID(),
      quotedAt: ctx.acceptedAt.toISOString(),
      expiresAt: new Date(ctx.acceptedAt.getTime() + QUOTE_TTL_MS).toISOString(),
      accountId: command.accountId,
      parts,
      totalWon: parts.reduce((sum, p) => sum + p.won, 0),
    };
    await ctx.tx.query(
      `INSERT INTO quotes (id, person_id, account_id, parts, quoted_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [quote.quoteId, personId, quote.accountId, JSON.stringify(parts), quote.quotedAt, quote.expiresAt],
    );
    return quote;
  }
}
