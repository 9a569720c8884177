import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { CashOut, ConfirmQuote } from '@pointsweep/contracts';
import { MessagingRuntime, PollingLoop } from '@pointsweep/messaging';

/** Admission for new cash-outs: how many parts may be on their way (redeeming, paying, refunding) at once. */
export interface BackpressurePolicy {
  maxOpenParts: number;
  /** How often the open parts are counted. */
  sampleMs: number;
}

export function backpressurePolicyFromEnv(env: Record<string, string | undefined>): BackpressurePolicy {
  const maxOpenParts = Number(env.LEDGER_MAX_OPEN_PARTS ?? 150);
  const sampleMs = Number(env.LEDGER_OPEN_PARTS_SAMPLE_MS ?? 1000);
  for (const [name, value] of [['LEDGER_MAX_OPEN_PARTS', maxOpenParts], ['LEDGER_OPEN_PARTS_SAMPLE_MS', sampleMs]] as const) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${value}`);
  }
  return { maxOpenParts, sampleMs };
}

/**
 * When the saga already has `maxOpenParts` parts on their way, a new cash-out would only wait behind them (and push
 * every accepted part's latency up): it is answered SERVICE_BUSY before it is taken, and the person asks again after
 * the retry-after, jittered so the retries do not come back as one wave. The backlog of accepted work stays bounded,
 * so latency returns to normal soon after a surge.
 */
export function admissionVerdict(openParts: number, policy: BackpressurePolicy, random: () => number = Math.random): { reason: string; retryAfterMs: number } | undefined {
  if (openParts < policy.maxOpenParts) return undefined;
  return {
    reason: `${openParts} cash-out parts are already on their way (at most ${policy.maxOpenParts})`,
    retryAfterMs: 1000 + Math.floor(random() * 2000),
  };
}

@Injectable()
export class SagaBackpressure implements OnModuleInit, OnModuleDestroy {
  private readonly policy = backpressurePolicyFromEnv(process.env);
  private readonly loop: PollingLoop;
  private openParts = 0;

  constructor(private readonly runtime: MessagingRuntime) {
    this.loop = new PollingLoop('saga backpressure', () => this.sample(), runtime.logger.child({ component: 'backpressure' }), this.policy.sampleMs);
  }

  onModuleInit(): void {
    const gate = () => admissionVerdict(this.openParts, this.policy);
    this.runtime.admissionGates.set(CashOut.name, gate);
    this.runtime.admissionGates.set(ConfirmQuote.name, gate);
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
  }

  private async sample(): Promise<boolean> {
    // The partial index cash_out_parts_open holds exactly these rows.
    const [{ n }]: { n: number }[] = await this.runtime.dataSource.query(
      `SELECT count(*)::int AS n FROM cash_out_parts WHERE state IN ('REDEEMING', 'PAYING', 'REFUNDING')`);
    this.openParts = n;
    return false;
  }
}
