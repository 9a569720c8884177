import 'reflect-metadata';
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put } from '@nestjs/common';
import { ISSUERS, IssuerCode, PROGRAMS, programDefinition } from '@pointsweep/contracts';
import { randomUUID } from 'node:crypto';
import { Clock } from './clock';
import { SimError, invalid, notFound } from './errors';
import { JsonLog } from './log';
import { HANA_PROGRAM, Lot, seededBalance, seededLots, spendSoonestFirst, sumPoints } from './seeding';
import { Settings } from './settings';
import { Sleeper } from './sleeper';
import { RedemptionResult, RefundResult, callKey, memberKey } from './state';
import { Store } from './store';
import { CI, IDEMPOTENCY_KEY, body, bool, nonNegativeInt, optional, positiveInt, str } from './validate';

export interface IssuerFaults {
  latencyMs: number;
  /** Chance (0..1) that a call answers 500 ISSUER_ERROR. */
  errorRate: number;
  outage: boolean;
  /** When true, a failing call fails after its effect was recorded (an outcome the caller cannot know). */
  errorAfterApply: boolean;
  /** Injected errors left before the error fault clears itself; undefined = until replaced. */
  errorsLeft?: number;
}

const NO_FAULTS: IssuerFaults = { latencyMs: 0, errorRate: 0, outage: false, errorAfterApply: false };

/** Per-issuer fault injection; kept in memory only, so a restart clears it. */
export class IssuerFaultBook {
  private readonly faults = new Map<string, IssuerFaults>();

  get(issuer: string): IssuerFaults {
    return this.faults.get(issuer) ?? NO_FAULTS;
  }

  set(issuer: string, faults: IssuerFaults): void {
    this.faults.set(issuer, faults);
  }

  /** Counts one injected error; the error fault clears itself once its count is used up. */
  spendError(issuer: string): void {
    const f = this.faults.get(issuer);
    if (f?.errorsLeft === undefined) return;
    const left = f.errorsLeft - 1;
    this.faults.set(issuer, left > 0 ? { ...f, errorsLeft: left } : { ...f, errorRate: 0, errorsLeft: undefined });
  }
}

export function knownIssuer(issuer: string): IssuerCode {
  if (!(ISSUERS as readonly string[]).includes(issuer)) throw notFound(`unknown issuer ${issuer}`, 'UNKNOWN_ISSUER');
  return issuer as IssuerCode;
}

function issuerProgram(issuer: IssuerCode, program: string, status: 400 | 404): string {
  const def = programDefinition(program);
  if (!def || def.issuer !== issuer) throw new SimError(status, 'UNKNOWN_PROGRAM', `${issuer} has no program ${program}`);
  return program;
}

/** The points held by members: seeded, overridden by the admin API, minus redemptions plus refunds. */
export class PointsBook {
  constructor(
    private readonly store: Store,
    private readonly settings: Settings,
    private readonly clock: Clock,
  ) {}

  seeded(program: string, ci: string): number {
    return this.store.state.members.get(memberKey(program, ci))?.balance ?? seededBalance(this.settings.seed, ci, program);
  }

  /** Current lots: the seeded lots with the net points spent taken soonest-expiring first. */
  lots(program: string, ci: string): Lot[] {
    const seeded = this.seeded(program, ci);
    const lots = seededLots(this.settings.seed, ci, program, seeded, this.clock.todayKst());
    const m = this.store.state.members.get(memberKey(program, ci));
    const spent = m ? m.redeemed - m.refunded : 0;
    return spendSoonestFirst(lots, Math.min(Math.max(spent, 0), seeded)).left;
  }

  balance(program: string, ci: string): number {
    const m = this.store.state.members.get(memberKey(program, ci));
    return Math.max(0, this.seeded(program, ci) - (m ? m.redeemed - m.refunded : 0));
  }

  view(program: string, ci: string) {
    const lots = this.lots(program, ci);
    const def = programDefinition(program)!;
    return {
      program,
      name: def.name,
      balance: this.balance(program, ci),
      expiring: lots.filter((l) => l.expiresOn !== null && l.points > 0).map((l) => ({ date: l.expiresOn as string, points: l.points })),
      ...(program === HANA_PROGRAM ? { subBalances: lots.map((l) => ({ name: l.name, points: l.points, expiresOn: l.expiresOn })) } : {}),
    };
  }
}

@Controller('issuers/:issuer')
export class IssuerController {
  constructor(
    @Inject(Store) private readonly store: Store,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(JsonLog) private readonly log: JsonLog,
    @Inject(PointsBook) private readonly points: PointsBook,
    @Inject(IssuerFaultBook) private readonly faults: IssuerFaultBook,
    @Inject(Sleeper) private readonly sleeper: Sleeper,
  ) {}

  /** Unknown issuer, outage, latency and errors, applied in front of every card-company call. */
  private async gate(issuerParam: string): Promise<{ issuer: IssuerCode; failAfter: boolean }> {
    const issuer = knownIssuer(issuerParam);
    const f = this.faults.get(issuer);
    if (f.outage) throw new SimError(503, 'ISSUER_DOWN', `${issuer} is down`);
    await this.sleeper.sleep(f.latencyMs);
    const fail = f.errorRate > 0 && Math.random() < f.errorRate;
    if (fail) this.faults.spendError(issuer);
    if (fail && !f.errorAfterApply) throw issuerError(issuer);
    return { issuer, failAfter: fail };
  }

  @Get('members/:ci/points')
  async balances(@Param('issuer') issuerParam: string, @Param('ci') ci: string) {
    const { issuer, failAfter } = await this.gate(issuerParam);
    if (!CI.test(ci)) throw invalid('ci is malformed');
    if (failAfter) throw issuerError(issuer);
    return {
      asOf: this.clock.iso(),
      programs: PROGRAMS.filter((p) => p.issuer === issuer).map((p) => this.points.view(p.program, ci)),
    };
  }

  @Post('redemptions')
  @HttpCode(200)
  async redeem(@Param('issuer') issuerParam: string, @Body() raw: unknown) {
    const { issuer, failAfter } = await this.gate(issuerParam);
    const b = body(raw);
    const key = str(b, 'idempotencyKey', IDEMPOTENCY_KEY, 'up to 128 characters of A-Z a-z 0-9 . _ : -');
    const ci = str(b, 'ci', CI, 'a connecting-information id');
    const program = issuerProgram(issuer, str(b, 'program', /^[A-Z_]{1,64}$/, 'a program code'), 400);
    const points = positiveInt(b, 'points');
    const fingerprint = JSON.stringify([ci, program, points]);
    // From here to commit() nothing awaits, so the check and the record cannot interleave with another request.
    const earlier = this.store.state.redemptions.get(callKey(issuer, key));
    if (earlier) {
      if (earlier.fingerprint !== fingerprint) throw reused();
      return publicRedemption(earlier.result);
    }
    const lots = this.points.lots(program, ci);
    const balance = this.points.balance(program, ci);
    if (points > balance || points > sumPoints(lots)) {
      throw new SimError(422, 'INSUFFICIENT_POINTS', `only ${balance} points available`);
    }
    const result: RedemptionResult = {
      transactionId: `R${randomUUID().replace(/-/g, '').slice(0, 24).toUpperCase()}`,
      issuer,
      program,
      points,
      balanceAfter: balance - points,
      consumed: spendSoonestFirst(lots, points).consumed,
      redeemedAt: this.clock.iso(),
    };
    this.store.commit({ t: 'points.redeemed', key, fingerprint, ci, result });
    this.log.info('points redeemed', { issuer, program, points, transactionId: result.transactionId });
    if (failAfter) throw issuerError(issuer);
    return publicRedemption(result);
  }

  @Get('redemptions/:idempotencyKey')
  async redemption(@Param('issuer') issuerParam: string, @Param('idempotencyKey') key: string) {
    const { issuer, failAfter } = await this.gate(issuerParam);
    const found = this.store.state.redemptions.get(callKey(issuer, key));
    if (failAfter) throw issuerError(issuer);
    if (!found) throw notFound('no redemption with this idempotency key');
    return publicRedemption(found.result);
  }

  @Post('refunds')
  @HttpCode(200)
  async refund(@Param('issuer') issuerParam: string, @Body() raw: unknown) {
    const { issuer, failAfter } = await this.gate(issuerParam);
    const b = body(raw);
    const key = str(b, 'idempotencyKey', IDEMPOTENCY_KEY, 'up to 128 characters of A-Z a-z 0-9 . _ : -');
    const ci = str(b, 'ci', CI, 'a connecting-information id');
    const program = issuerProgram(issuer, str(b, 'program', /^[A-Z_]{1,64}$/, 'a program code'), 400);
    const points = positiveInt(b, 'points');
    const redemptionTransactionId = str(b, 'redemptionTransactionId', /^[A-Za-z0-9_-]{1,64}$/, 'a redemption transaction id');
    const fingerprint = JSON.stringify([ci, program, points, redemptionTransactionId]);
    const earlier = this.store.state.refunds.get(callKey(issuer, key));
    if (earlier) {
      if (earlier.fingerprint !== fingerprint) throw reused();
      return publicRefund(earlier.result);
    }
    const red = this.store.state.redemptionsById.get(redemptionTransactionId);
    if (!red || red.ci !== ci || red.result.issuer !== issuer || red.result.program !== program) {
      throw notFound('no such redemption for this member and program', 'REDEMPTION_NOT_FOUND');
    }
    if (red.refunded + points > red.result.points) {
      throw new SimError(422, 'REFUND_EXCEEDS_REDEMPTION', `only ${red.result.points - red.refunded} points of this redemption can be refunded`);
    }
    const result: RefundResult = {
      refundId: `F${randomUUID().replace(/-/g, '').slice(0, 24).toUpperCase()}`,
      issuer,
      program,
      points,
      redemptionTransactionId,
      balanceAfter: this.points.balance(program, ci) + points,
      refundedAt: this.clock.iso(),
    };
    this.store.commit({ t: 'points.refunded', key, fingerprint, ci, result });
    this.log.info('points refunded', { issuer, program, points, refundId: result.refundId, redemptionTransactionId });
    if (failAfter) throw issuerError(issuer);
    return publicRefund(result);
  }

  @Get('refunds/:idempotencyKey')
  async refundResult(@Param('issuer') issuerParam: string, @Param('idempotencyKey') key: string) {
    const { issuer, failAfter } = await this.gate(issuerParam);
    const found = this.store.state.refunds.get(callKey(issuer, key));
    if (failAfter) throw issuerError(issuer);
    if (!found) throw notFound('no refund with this idempotency key');
    return publicRefund(found.result);
  }
}

@Controller('admin/issuers/:issuer')
export class IssuerAdminController {
  constructor(
    @Inject(Store) private readonly store: Store,
    @Inject(JsonLog) private readonly log: JsonLog,
    @Inject(PointsBook) private readonly points: PointsBook,
    @Inject(IssuerFaultBook) private readonly faults: IssuerFaultBook,
  ) {}

  @Put('members/:ci/programs/:program')
  setBalance(@Param('issuer') issuerParam: string, @Param('ci') ci: string, @Param('program') programParam: string, @Body() raw: unknown) {
    const issuer = knownIssuer(issuerParam);
    const program = issuerProgram(issuer, programParam, 404);
    if (!CI.test(ci)) throw invalid('ci is malformed');
    const balance = nonNegativeInt(body(raw), 'balance', 1_000_000_000_000);
    this.store.commit({ t: 'points.balance', program, ci, balance });
    this.log.info('seeded balance set', { issuer, program, balance });
    return this.points.view(program, ci);
  }

  @Get('faults')
  getFaults(@Param('issuer') issuerParam: string) {
    return this.faults.get(knownIssuer(issuerParam));
  }

  /** Replaces the issuer's faults; fields left out mean "no such fault". */
  @Put('faults')
  setFaults(@Param('issuer') issuerParam: string, @Body() raw: unknown) {
    const issuer = knownIssuer(issuerParam);
    const b = body(raw);
    const errorRate = optional(b, 'errorRate', () => {
      const v = b.errorRate;
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw invalid('errorRate must be a number from 0 to 1');
      return v;
    });
    const faults: IssuerFaults = {
      latencyMs: optional(b, 'latencyMs', () => nonNegativeInt(b, 'latencyMs', 600_000)) ?? 0,
      errorRate: errorRate ?? 0,
      outage: optional(b, 'outage', () => bool(b, 'outage')) ?? false,
      errorAfterApply: optional(b, 'errorAfterApply', () => bool(b, 'errorAfterApply')) ?? false,
      errorsLeft: optional(b, 'count', () => nonNegativeInt(b, 'count', 1_000_000)),
    };
    this.faults.set(issuer, faults);
    this.log.info('issuer faults set', { issuer, ...faults });
    return faults;
  }
}

function issuerError(issuer: string): SimError {
  return new SimError(500, 'ISSUER_ERROR', `${issuer} failed to answer (injected)`);
}

function reused(): SimError {
  return new SimError(409, 'IDEMPOTENCY_KEY_REUSED', 'this idempotency key was used with other content');
}

function publicRedemption(r: RedemptionResult) {
  return {
    transactionId: r.transactionId,
    program: r.program,
    points: r.points,
    balanceAfter: r.balanceAfter,
    consumed: r.consumed.map((l) => ({ ...(l.name ? { name: l.name } : {}), expiresOn: l.expiresOn, points: l.points })),
    redeemedAt: r.redeemedAt,
  };
}

function publicRefund(r: RefundResult) {
  return {
    refundId: r.refundId,
    program: r.program,
    points: r.points,
    redemptionTransactionId: r.redemptionTransactionId,
    balanceAfter: r.balanceAfter,
    refundedAt: r.refundedAt,
  };
}
