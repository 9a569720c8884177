import { ErrorCodes, PointsweepError, ProgramDefinition } from '@pointsweep/contracts';

export interface Conversion {
  pointsConsumed: number;
  won: number;
}

/**
 * The largest number of points that converts to whole won at the program's exact rate; the rest stay.
 * 100 Hyundai M-points at 3:2 → 99 consumed, 66 won.
 */
export function convertPoints(points: number, rate: ProgramDefinition['rate']): Conversion {
  if (!Number.isSafeInteger(points) || points < 1) {
    throw new PointsweepError(ErrorCodes.invalidMessage, 'points must be a positive whole number');
  }
  const units = Math.floor(points / rate.points);
  const conversion = { pointsConsumed: units * rate.points, won: units * rate.won };
  if (conversion.won === 0) {
    throw new PointsweepError(ErrorCodes.zeroWon, `${points} points convert to 0 won at ${rate.points}:${rate.won}`);
  }
  return conversion;
}
