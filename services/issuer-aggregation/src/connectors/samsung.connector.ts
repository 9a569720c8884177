import { HttpIssuerConnector } from './http-issuer-connector';

/** 삼성카드: 보너스포인트, one program, balance as reported. */
export class SamsungConnector extends HttpIssuerConnector {
  readonly issuer = 'SAMSUNG' as const;
}
