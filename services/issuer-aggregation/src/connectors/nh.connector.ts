import { HttpIssuerConnector } from './http-issuer-connector';

/** 농협카드: NH포인트, one program, balance as reported. */
export class NhConnector extends HttpIssuerConnector {
  readonly issuer = 'NH' as const;
}
