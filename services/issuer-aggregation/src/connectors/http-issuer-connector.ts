import { IssuerCode, PROGRAMS, ProgramDefinition } from '@pointsweep/contracts';
import { callJson } from '@pointsweep/messaging';
import { IssuerConnector, IssuerPoints, RedemptionReceipt, RedemptionRequest, RefundReceipt, RefundRequest } from './issuer-connector';
import { issuerFailure, parsePointsBody, parseReceipt, parseRefundReceipt, plainBalance } from './issuer-responses';

/** The simulators' card-company API; each issuer's adapter overrides only its quirks. */
export abstract class HttpIssuerConnector implements IssuerConnector {
  abstract readonly issuer: IssuerCode;

  constructor(
    protected readonly baseUrl: string,
    protected readonly timeoutMs: number,
  ) {}

  protected get programs(): ProgramDefinition[] {
    return PROGRAMS.filter((p) => p.issuer === this.issuer);
  }

  protected get root(): string {
    return `${this.baseUrl}/issuers/${this.issuer}`;
  }

  /** The program's balance in its own points; most issuers report it directly. */
  protected balanceOf(entry: Record<string, unknown>): number {
    return plainBalance(this.issuer, entry);
  }

  /** Refuses, before calling, a redemption the issuer cannot carry out (throw a non-retriable PointsweepError). */
  protected checkRedemption(_request: RedemptionRequest): void {}

  async fetchPoints(ci: string, signal: AbortSignal): Promise<IssuerPoints> {
    const res = await callJson(`${this.root}/members/${encodeURIComponent(ci)}/points`, { timeoutMs: this.timeoutMs, signal });
    if (res.status !== 200) throw issuerFailure(this.issuer, 'points lookup', res.status, res.body);
    return parsePointsBody(this.issuer, this.programs, res.body, (entry) => this.balanceOf(entry));
  }

  async redeem(request: RedemptionRequest, signal: AbortSignal): Promise<RedemptionReceipt> {
    this.checkRedemption(request);
    const res = await callJson(`${this.root}/redemptions`, {
      method: 'POST',
      body: { idempotencyKey: request.idempotencyKey, ci: request.ci, program: request.program, points: request.points },
      timeoutMs: this.timeoutMs,
      signal,
    });
    if (res.status !== 200) throw issuerFailure(this.issuer, 'redemption', res.status, res.body);
    return parseReceipt(this.issuer, res.body);
  }

  async findRedemption(idempotencyKey: string, signal: AbortSignal): Promise<RedemptionReceipt | null> {
    const res = await callJson(`${this.root}/redemptions/${encodeURIComponent(idempotencyKey)}`, { timeoutMs: this.timeoutMs, signal });
    // Only the API's own "no such redemption" proves it never happened; a bare 404 (wrong route, proxy) proves nothing.
    if (res.status === 404 && res.body?.code === 'NOT_FOUND') return null;
    if (res.status !== 200) throw issuerFailure(this.issuer, 'redemption inquiry', res.status, res.body);
    return parseReceipt(this.issuer, res.body);
  }

  async refund(request: RefundRequest, signal: AbortSignal): Promise<RefundReceipt> {
    const res = await callJson(`${this.root}/refunds`, {
      method: 'POST',
      body: {
        idempotencyKey: request.idempotencyKey,
        ci: request.ci,
        program: request.program,
        points: request.points,
        redemptionTransactionId: request.redemptionTransactionId,
      },
      timeoutMs: this.timeoutMs,
      signal,
    });
    if (res.status !== 200) throw issuerFailure(this.issuer, 'refund', res.status, res.body);
    return parseRefundReceipt(this.issuer, res.body);
  }

  async findRefund(idempotencyKey: string, signal: AbortSignal): Promise<RefundReceipt | null> {
    const res = await callJson(`${this.root}/refunds/${encodeURIComponent(idempotencyKey)}`, { timeoutMs: this.timeoutMs, signal });
    // As for redemptions: only the API's own "no such refund" proves it never happened.
    if (res.status === 404 && res.body?.code === 'NOT_FOUND') return null;
    if (res.status !== 200) throw issuerFailure(this.issuer, 'refund inquiry', res.status, res.body);
    return parseRefundReceipt(this.issuer, res.body);
  }
}
