import { HttpIssuerConnector } from './http-issuer-connector';

/** 롯데카드: L.POINT, one program, balance as reported. */
export class LotteConnector extends HttpIssuerConnector {
  readonly issuer = 'LOTTE' as const;
}
