import { HttpIssuerConnector } from './http-issuer-connector';
import { sumSubBalances } from './issuer-responses';

/** 하나카드: 하나머니 is three sub-balances; the balance we show and redeem against is their sum. */
export class HanaConnector extends HttpIssuerConnector {
  readonly issuer = 'HANA' as const;

  protected override balanceOf(entry: Record<string, unknown>): number {
    return sumSubBalances(this.issuer, entry.subBalances);
  }
}
