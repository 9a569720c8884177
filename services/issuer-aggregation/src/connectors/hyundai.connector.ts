import { PointsweepError, programDefinition } from '@pointsweep/contracts';
import { HttpIssuerConnector } from './http-issuer-connector';
import { RedemptionRequest } from './issuer-connector';

/**
 * 현대카드: M-points become won via H-Coin at 3 M-points : 2 won (the catalogue's rate), so only whole lots of 3
 * can be redeemed; anything else would create a fraction of a won, and is refused before calling.
 */
export class HyundaiConnector extends HttpIssuerConnector {
  readonly issuer = 'HYUNDAI' as const;

  protected override checkRedemption(request: RedemptionRequest): void {
    const lot = programDefinition(request.program)?.rate.points ?? 1;
    if (request.points % lot !== 0) {
      throw new PointsweepError('POINTS_NOT_CONVERTIBLE', `${request.points} M-points is not a whole number of ${lot}-point lots`);
    }
  }
}
