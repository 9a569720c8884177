import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { ListManualReview, ManualReviewItem } from '@pointsweep/contracts';
import { MessageContext } from '@pointsweep/messaging';

@Controller()
export class ListManualReviewHandler {
  /** What no rule could settle, oldest first, so an operator sees every stuck part. */
  @MessagePattern(ListManualReview.name)
  async handle(@Payload() _command: ListManualReview, @Ctx() ctx: MessageContext): Promise<ManualReviewItem[]> {
    const rows: { id: string; cash_out_id: string; program: string; won: string; state: string; review_reason: string | null; updated_at: Date }[] =
      await ctx.tx.query(
        `SELECT id, cash_out_id, program, won, state, review_reason, updated_at FROM cash_out_parts
          WHERE state = 'MANUAL_REVIEW' ORDER BY updated_at LIMIT 500`,
      );
    return rows.map((r) => ({
      partId: r.id, cashOutId: r.cash_out_id, program: r.program, won: Number(r.won), state: r.state, reason: r.review_reason,
      since: new Date(r.updated_at).toISOString(),
    }));
  }
}
