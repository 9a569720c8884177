import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { PointsRedeemed, RequestPayout, messageDefinition, programDefinition } from '@pointsweep/contracts';
import { MessageContext, OnEvent } from '@pointsweep/messaging';
import { redemptionLines } from '../../domain/journal';
import { PendingLedgerWrites } from '../../ledger/pending-ledger-writes';
import { transitionPart } from '../part-transition';

@Controller()
export class PayPartWhenPointsRedeemedHandler {
  /** The points are gone from the card company: post the conversion, then ask the bank to pay. */
  @OnEvent('PointsRedeemed')
  async handle(@Payload() event: PointsRedeemed, @Ctx() ctx: MessageContext): Promise<void> {
    const moved = await transitionPart(ctx, event.partId, { type: 'PartRedeemed', issuerTransactionId: event.issuerTransactionId }, ctx.acceptedAt, {
      issuerTransactionId: event.issuerTransactionId,
    });
    if (!moved) return;
    const { part, next } = moved;
    const program = programDefinition(part.program)!;
    PendingLedgerWrites.of(ctx).appendJournal({
      kind: 'REDEMPTION',
      partId: part.id,
      shardKey: part.personId,
      occurredAt: ctx.acceptedAt,
      lines: redemptionLines(program.program, program.issuer, next.pointsConsumed, next.won),
    });
    const payout: RequestPayout = {
      partId: part.id,
      personId: part.personId,
      accountId: part.accountId,
      amountWon: next.won,
      issuer: program.issuer,
      acceptedAt: part.acceptedAt.toISOString(),
      bankCode: part.account.bankCode,
      sealedAccountNumber: part.account.sealedAccountNumber,
    };
    ctx.emit(messageDefinition(RequestPayout.name)!, payout, part.personId);
  }
}
