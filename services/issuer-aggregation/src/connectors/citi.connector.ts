import { HttpIssuerConnector } from './http-issuer-connector';

/** 씨티카드: 씨티포인트, one program, balance as reported. */
export class CitiConnector extends HttpIssuerConnector {
  readonly issuer = 'CITI' as const;
}
