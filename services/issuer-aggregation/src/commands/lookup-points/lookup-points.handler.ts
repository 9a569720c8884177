import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { ISSUERS, IssuerCode, LookupPoints, PointsOverview, PROGRAMS } from '@pointsweep/contracts';
import { AssertionVerifier, CALLS_OUT_SIDE_BY_SIDE, MessageContext, MessagingRuntime } from '@pointsweep/messaging';
import { FetchedProgram, IssuerPoints } from '../../connectors/issuer-connector';
import { IssuerGateway } from '../../resilience/issuer-gateway';
import { describeError } from '../../log-fields';
import { ISSUER_SETTINGS } from '../../settings';
import type { IssuerSettings } from '../../settings';
import { buildOverview, PointsSnapshot } from './points-overview';
import { settleWithinBudget } from './within-budget';

interface SnapshotRow {
  program: string;
  /** bigint, as text: JSON numbers would round above 2^53 before the range check. */
  balance: string;
  expiring: PointsSnapshot['expiring'];
  /** ISO 8601 from json_build_object. */
  as_of: string;
}

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
    // Read outside the message's transaction (one round trip for both): it begins only when snapshots are written,
    // after the fan-out, so no connection is held while card companies are waited on. A revoked consent is never queried.
    const [{ consents, snapshots: snapshotRows }]: { consents: { issuer: string; ci: string }[]; snapshots: SnapshotRow[] }[] = await this.runtime.dataSource.query(
      `SELECT
         (SELECT coalesce(json_agg(json_build_object('issuer', issuer, 'ci', ci)), '[]') FROM consents WHERE person_id = $1 AND revoked_at IS NULL) AS consents,
         (SELECT coalesce(json_agg(json_build_object('program', program, 'balance', balance::text, 'expiring', expiring, 'as_of', as_of)), '[]')
            FROM point_snapshots WHERE person_id = $1) AS snapshots`,
      [personId],
    );
    const consented = consents.filter((c): c is { issuer: IssuerCode; ci: string } => (ISSUERS as readonly string[]).includes(c.issuer));

    // The HTTP fan-out first, then the snapshot writes, so no snapshot row is locked while we wait. A company whose
    // breaker is not closed gets a short wait: its half-open trial would otherwise hold this lookup (and, as
    // lookups of a partition finish together, the ones queued behind it) for the whole timeout.
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
    for (const [issuer, result] of results) {
      if (result.ok) {
        for (const program of result.value.programs) fetched.set(program.program, { program, asOf: result.value.asOf });
      } else {
        log.warn('card company lookup failed; falling back to snapshot', { issuer, ...describeError(result.error) });
      }
    }
    const issuers = new Set<string>(consented.map((c) => c.issuer));
    const overview = buildOverview(
      PROGRAMS.filter((p) => issuers.has(p.issuer)),
      fetched,
      new Map(snapshotRows.map((r) => [r.program, toSnapshot(r)])),
    );

    const fresh = overview.programs.filter((line) => line.status === 'FRESH')
      .map((line) => ({ program: line.program, issuer: line.issuer, balance: line.balance, expiring: line.expiring, as_of: line.asOf }));
    if (fresh.length > 0) {
      // One statement for every program; an older answer never overwrites a newer snapshot of a concurrent lookup.
      await ctx.tx.query(
        `INSERT INTO point_snapshots (person_id, program, issuer, balance, expiring, as_of, fetched_at)
         SELECT $1, u.program, u.issuer, u.balance, u.expiring, u.as_of, $2
           FROM jsonb_to_recordset($3::jsonb) AS u(program text, issuer text, balance bigint, expiring jsonb, as_of timestamptz)
         ON CONFLICT (person_id, program) DO UPDATE
           SET balance = EXCLUDED.balance, expiring = EXCLUDED.expiring, as_of = EXCLUDED.as_of, fetched_at = EXCLUDED.fetched_at
           WHERE point_snapshots.as_of <= EXCLUDED.as_of`,
        [personId, ctx.acceptedAt, JSON.stringify(fresh)],
      );
    }
    log.info('points looked up', {
      issuers: consented.length,
      fresh: overview.programs.filter((p) => p.status === 'FRESH').length,
      stale: overview.programs.filter((p) => p.status === 'STALE').length,
      unavailable: overview.programs.filter((p) => p.status === 'UNAVAILABLE').length,
    });
    return overview;
  }
}

function toSnapshot(row: SnapshotRow): PointsSnapshot {
  const balance = Number(row.balance);
  if (!Number.isSafeInteger(balance)) throw new Error(`snapshot balance of ${row.program} is out of range`);
  return { program: row.program, balance, expiring: row.expiring, asOf: new Date(row.as_of).toISOString() };
}
