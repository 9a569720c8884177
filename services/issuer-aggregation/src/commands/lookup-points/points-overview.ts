import { PointsOverview, ProgramDefinition, ProgramPoints } from '@pointsweep/contracts';
import { ExpiringPoints, FetchedProgram } from '../../connectors/issuer-connector';

/** Won value of a balance: only whole lots of `rate.points` convert, never a fraction of a won. Integer math only. */
export function wonValue(balance: number, rate: ProgramDefinition['rate']): number {
  if (!Number.isSafeInteger(balance) || balance < 0) throw new Error(`balance must be a whole number of points, got ${balance}`);
  const lots = (balance - (balance % rate.points)) / rate.points;
  const won = lots * rate.won;
  if (!Number.isSafeInteger(won)) throw new Error(`won value of ${balance} points is too large`);
  return won;
}

export interface PointsSnapshot {
  program: string;
  balance: number;
  expiring: ExpiringPoints[];
  asOf: string;
}

/** Where a program's figures come from: just fetched, the last snapshot, or nowhere. */
export type ProgramSource =
  | { kind: 'fetched'; program: FetchedProgram; asOf: string }
  | { kind: 'snapshot'; snapshot: PointsSnapshot }
  | { kind: 'none' };

export function chooseSource(fetched: { program: FetchedProgram; asOf: string } | undefined, snapshot: PointsSnapshot | undefined): ProgramSource {
  if (fetched) return { kind: 'fetched', ...fetched };
  if (snapshot) return { kind: 'snapshot', snapshot };
  return { kind: 'none' };
}

export function programPoints(def: ProgramDefinition, source: ProgramSource): ProgramPoints {
  const base = { program: def.program, issuer: def.issuer };
  switch (source.kind) {
    case 'fetched':
      return {
        ...base,
        balance: source.program.balance,
        wonValue: wonValue(source.program.balance, def.rate),
        expiring: source.program.expiring,
        status: 'FRESH',
        asOf: source.asOf,
      };
    case 'snapshot':
      return {
        ...base,
        balance: source.snapshot.balance,
        wonValue: wonValue(source.snapshot.balance, def.rate),
        expiring: source.snapshot.expiring,
        status: 'STALE',
        asOf: source.snapshot.asOf,
      };
    case 'none':
      return { ...base, balance: 0, wonValue: 0, expiring: [], status: 'UNAVAILABLE', asOf: null };
    default: {
      const unexpected: never = source;
      throw new Error(`unknown program source ${JSON.stringify(unexpected)}`);
    }
  }
}

/** One line per consented program, in catalogue order; the total counts what is known (fresh or stale). */
export function buildOverview(
  programs: readonly ProgramDefinition[],
  fetched: ReadonlyMap<string, { program: FetchedProgram; asOf: string }>,
  snapshots: ReadonlyMap<string, PointsSnapshot>,
): PointsOverview {
  const lines = programs.map((def) => programPoints(def, chooseSource(fetched.get(def.program), snapshots.get(def.program))));
  const totalWon = lines.reduce((sum, line) => sum + line.wonValue, 0);
  if (!Number.isSafeInteger(totalWon)) throw new Error('total won value is too large');
  return { programs: lines, totalWon };
}
