import { DynamicModule, Module } from '@nestjs/common';
import { JsonLogger, MessagingRuntime, PlatformModule, ServiceConfig } from '@pointsweep/messaging';
import { LookupPointsHandler } from './commands/lookup-points/lookup-points.handler';
import { RedeemPointsHandler } from './commands/redeem-points/redeem-points.handler';
import { RefundPointsHandler } from './commands/refund-points/refund-points.handler';
import { Connectors, createConnectors, ISSUER_CONNECTORS } from './connectors/connectors';
import { RecordConsentWhenConsentGranted } from './events/record-consent-when-consent-granted/record-consent.handler';
import { RevokeConsentWhenConsentRevoked } from './events/revoke-consent-when-consent-revoked/revoke-consent.handler';
import { BreakerEvents } from './resilience/breaker-events';
import { BreakerHealth } from './resilience/breaker-health';
import { IssuerGateway } from './resilience/issuer-gateway';
import { ISSUER_SETTINGS, IssuerSettings } from './settings';

@Module({})
export class IssuerAggregationModule {
  /** `connectors` replaces the HTTP adapters (tests with fakes). */
  static forRoot(runtime: MessagingRuntime, config: ServiceConfig, settings: IssuerSettings, connectors?: Connectors): DynamicModule {
    return {
      module: IssuerAggregationModule,
      imports: [PlatformModule.forRoot(runtime, config)],
      controllers: [RecordConsentWhenConsentGranted, RevokeConsentWhenConsentRevoked, LookupPointsHandler, RedeemPointsHandler, RefundPointsHandler],
      providers: [
        { provide: ISSUER_SETTINGS, useValue: settings },
        { provide: ISSUER_CONNECTORS, useValue: connectors ?? createConnectors(config.simulatorsUrl, settings.issuerTimeoutMs) },
        {
          provide: IssuerGateway,
          useFactory: (c: Connectors, s: IssuerSettings, logger: JsonLogger) => new IssuerGateway(c, s, logger),
          inject: [ISSUER_CONNECTORS, ISSUER_SETTINGS, JsonLogger],
        },
        BreakerHealth,
        BreakerEvents,
      ],
    };
  }
}
