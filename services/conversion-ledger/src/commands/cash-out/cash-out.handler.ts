import { randomUUID } from 'node:crypto';
import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { CashOut, CashOutView, ErrorCodes, messageDefinition, PointsweepError, programDefinition, RedeemPoints } from '@pointsweep/contracts';
import { AssertionVerifier, kstDate, MessageContext } from '@pointsweep/messaging';
import { loadCashOutView } from '../../cash-out.repository';
import { convertPoints } from '../../domain/conversion';
import { requestFingerprint } from './request-fingerprint';

@Controller()
export class CashOutHandler {
  constructor(private readonly verifier: AssertionVerifier) {}

  /**
   * Accepts a sweep of one or more programs: each part is converted at its exact rate and sent to its card
   * company for redemption. The same request id with the same content returns the first result.
   */
  @MessagePattern(CashOut.name)
  async handle(@Payload() command: CashOut, @Ctx() ctx: MessageContext): Promise<CashOutView> {
    const personId = this.verifier.verify(command.assertion, ctx.acceptedAt);
    const fingerprint = requestFingerprint(command);
    const [previous]: { id: string; request_hash: string }[] = await ctx.tx.query(
      `SELECT id, request_hash FROM cash_outs WHERE person_id = $1 AND request_id = $2`,
      [personId, command.requestId],
    );
    if (previous) {
      if (previous.request_hash !== fingerprint) {
        throw new PointsweepError(ErrorCodes.requestIdReused, `request id ${command.requestId} was already used for a different cash-out`);
      }
      return stripPerson((await loadCashOutView(ctx.tx, previous.id))!);
    }
    const [account]: { person_id: string }[] = await ctx.tx.query(`SELECT person_id FROM payout_accounts WHERE account_id = $1`, [command.accountId]);
    if (!account || account.person_id !== personId) {
      throw new PointsweepError(ErrorCodes.accountNotOwn, 'payouts go only to the person\'s own verified account');
    }
    const programs = new Set(command.parts.map((p) => p.program));
    if (programs.size !== command.parts.length) {
      throw new PointsweepError(ErrorCodes.invalidMessage, 'each program may appear once in a cash-out');
    }
    const parts = command.parts.map((p) => ({ ...p, id: randomUUID(), conversion: convertPoints(p.points, programDefinition(p.program)!.rate) }));
    const cashOutId = randomUUID();
    const day = kstDate(ctx.acceptedAt);
    await ctx.tx.query(
      `INSERT INTO cash_outs (id, person_id, request_id, request_hash, account_id, accepted_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [cashOutId, personId, command.requestId, fingerprint, command.accountId, ctx.acceptedAt],
    );
    for (const part of parts) {
      const inserted = await ctx.tx.query(
        `INSERT INTO cash_out_parts (id, cash_out_id, person_id, program, kst_day, points_requested, points_consumed, won, state, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'REDEEMING', $9)
         ON CONFLICT (person_id, program, kst_day) WHERE counts_for_daily_limit DO NOTHING RETURNING id`,
        [part.id, cashOutId, personId, part.program, day, part.points, part.conversion.pointsConsumed, part.conversion.won, ctx.acceptedAt],
      );
      if (inserted.length === 0) {
        throw new PointsweepError(ErrorCodes.dailyLimit, `${part.program} was already cashed out today (${day} KST); one cash-out per program per day`);
      }
      const redeem: RedeemPoints = { partId: part.id, personId, program: part.program, points: part.conversion.pointsConsumed, idempotencyKey: part.id };
      ctx.emit(messageDefinition(RedeemPoints.name)!, redeem, personId);
    }
    return stripPerson((await loadCashOutView(ctx.tx, cashOutId))!);
  }
}

export function stripPerson<T extends { personId: string }>(view: T): Omit<T, 'personId'> {
  const { personId: _personId, ...rest } = view;
  return rest;
}
