import { HttpIssuerConnector } from './http-issuer-connector';

/** 비씨카드: TOP포인트, one program, balance as reported. */
export class BcConnector extends HttpIssuerConnector {
  readonly issuer = 'BC' as const;
}
