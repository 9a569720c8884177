import { HttpIssuerConnector } from './http-issuer-connector';

/** 국민카드: 포인트리, one program, balance as reported. */
export class KbConnector extends HttpIssuerConnector {
  readonly issuer = 'KB' as const;
}
