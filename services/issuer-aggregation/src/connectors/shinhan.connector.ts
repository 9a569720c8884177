import { HttpIssuerConnector } from './http-issuer-connector';

/** 신한카드: 마이신한포인트, one program, balance as reported. */
export class ShinhanConnector extends HttpIssuerConnector {
  readonly issuer = 'SHINHAN' as const;
}
