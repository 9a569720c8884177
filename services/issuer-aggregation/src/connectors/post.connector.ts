import { HttpIssuerConnector } from './http-issuer-connector';

/** 우체국: 우체국포인트, one program, balance as reported. */
export class PostConnector extends HttpIssuerConnector {
  readonly issuer = 'POST' as const;
}
