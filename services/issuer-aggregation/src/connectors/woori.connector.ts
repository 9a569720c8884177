import { HttpIssuerConnector } from './http-issuer-connector';

/**
 * 우리카드 answers with two programs (위비꿀머니 WOORI_WIBEE and 모아포인트 WOORI_MOA) in one response;
 * each is read on its own, so one missing from the answer does not hide the other.
 */
export class WooriConnector extends HttpIssuerConnector {
  readonly issuer = 'WOORI' as const;
}
