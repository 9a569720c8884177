import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { ISSUERS, IssuerCode, LookupPoints, PointsOverview, PROGRAMS } from '@pointsweep/contracts';
import { AssertionVerifier, CALLS_OUT_SIDE_BY_SIDE, MessageContext, MessagingRuntime } from '@pointsweep/messaging';
import { FetchedProgram, IssuerPoints } from '../../connectors/issuer-connector';
import { IssuerGateway } from '../../resilience/issuer-gateway';
import { describeError } from '../../log-fields';
import { ISSUER_SETTINGS } from '../../settings';
import type { IssuerSettings } from '../../settings';
import { buildOverview } from './points-overview';
import { LookupReads, SnapshotWrites } from './lookup-batch';
import { settleWithinBudget } from './within-budget';

@Controller()
export class LookupPointsHandler {
  constructor(
    private readonly verifier: AssertionVerifier,
    @Inject(IssuerGateway) private readonly gateway: IssuerGateway,
    @Inject(ISSUER_SETTINGS) private readonly settings: IssuerSettings,
    private readonly runtime: MessagingRuntime,
  ) {}

  /** Every consented card company at once, within a fixed budget; what cannot be fetched falls back to its snapshot. */
  @MessagePattern(LookupPoints.name, CALLS_OUT_SIDE_BY_SIDE)
  async handle(@Payload() command: LookupPoints, @Ctx() ctx: MessageContext): Promise<PointsOverview> {
    const personId = this.verifier.verify(command.assertion, ctx.acceptedAt);
    const log = this.runtime.logFor(ctx.envelope);
    // Read outside any transaction, one statement for the chunk's lookups: the transaction begins only when the
    // snapshots are written, after every lookup of the chunk answered. A revoked consent is never queried.
    const { consents, snapshots } = await LookupReads.of(ctx, this.runtime.dataSource).read(personId);
    const consented = consents.filter((c): c is { issuer: IssuerCode; ci: string } => (ISSUERS as readonly string[]).includes(c.issuer));

    // The HTTP fan-out first, then the snapshot writes, so no snapshot row is locked while we wait. A company whose
    // breaker is not closed gets a short wait: its half-open trial would otherwise hold this lookup (and, as
    // the lookups of a chunk commit together, the whole chunk) for the whole timeout.
    const states = this.gateway.states();
    const results = await settleWithinBudget<IssuerCode, IssuerPoints>(
      consented.map((c) => [
        c.issuer,
        (signal: AbortSignal) => this.gateway.fetchPoints(c.issuer, c.ci, signal),
        states[c.issuer] === 'closed' ? undefined : this.settings.lookupTrialWaitMs,
      ] as const),
      this.settings.lookupBudgetMs,
    );
    const fetched = new Map<string, { program: FetchedProgram; asOf: string }>();
    const failed: Record<string, ReturnType<typeof describeError>> = {};
    for (const [issuer, result] of results) {
      if (result.ok) {
        for (const program of result.value.programs) fetched.set(program.program, { program, asOf: result.value.asOf });
      } else {
        failed[issuer] = describeError(result.error);
      }
    }
    const issuers = new Set<string>(consented.map((c) => c.issuer));
    const overview = buildOverview(
      PROGRAMS.filter((p) => issuers.has(p.issuer)),
      fetched,
      new Map(snapshots.map((s) => [s.program, s])),
    );

    const fresh = overview.programs.filter((line) => line.status === 'FRESH');
    SnapshotWrites.of(ctx).add(fresh.flatMap((line) => (line.asOf === null ? [] : [{
      personId, program: line.program, issuer: line.issuer, balance: line.balance, expiring: line.expiring, asOf: line.asOf,
    }])));
    // One line per lookup; a card company that failed is named in it (with its breaker open, on every lookup).
    const fields = {
      issuers: consented.length,
      fresh: fresh.length,
      stale: overview.programs.filter((p) => p.status === 'STALE').length,
      unavailable: overview.programs.filter((p) => p.status === 'UNAVAILABLE').length,
    };
    if (Object.keys(failed).length > 0) log.warn('points looked up; card companies failed, snapshots used', { ...fields, failed });
    else log.info('points looked up', fields);
    return overview;
  }
}
