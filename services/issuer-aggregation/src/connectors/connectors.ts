import { IssuerCode } from '@pointsweep/contracts';
import { BcConnector } from './bc.connector';
import { CitiConnector } from './citi.connector';
import { HanaConnector } from './hana.connector';
import { HyundaiConnector } from './hyundai.connector';
import { IssuerConnector } from './issuer-connector';
import { KbConnector } from './kb.connector';
import { LotteConnector } from './lotte.connector';
import { NhConnector } from './nh.connector';
import { PostConnector } from './post.connector';
import { SamsungConnector } from './samsung.connector';
import { ShinhanConnector } from './shinhan.connector';
import { WooriConnector } from './woori.connector';

export type Connectors = Record<IssuerCode, IssuerConnector>;

export const ISSUER_CONNECTORS = Symbol('ISSUER_CONNECTORS');

/** One adapter per card company; a Record, so a twelfth issuer in the catalogue fails to compile until it has one. */
export function createConnectors(baseUrl: string, timeoutMs: number): Connectors {
  return {
    SHINHAN: new ShinhanConnector(baseUrl, timeoutMs),
    KB: new KbConnector(baseUrl, timeoutMs),
    SAMSUNG: new SamsungConnector(baseUrl, timeoutMs),
    HYUNDAI: new HyundaiConnector(baseUrl, timeoutMs),
    LOTTE: new LotteConnector(baseUrl, timeoutMs),
    WOORI: new WooriConnector(baseUrl, timeoutMs),
    HANA: new HanaConnector(baseUrl, timeoutMs),
    BC: new BcConnector(baseUrl, timeoutMs),
    NH: new NhConnector(baseUrl, timeoutMs),
    CITI: new CitiConnector(baseUrl, timeoutMs),
    POST: new PostConnector(baseUrl, timeoutMs),
  };
}
