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
import { CallObserver, IssuerGateway } from './resilience/issuer-gateway';
import { Histogram } from 'prom-client';
import { ISSUER_SETTINGS, IssuerSettings } from './settings';

/** Each card company's call latency and outcome on /metrics: one company's trouble shows beside the others' latency. */
function issuerCallHistogram(runtime: MessagingRuntime): CallObserver {
  const histogram = new Histogram({
    name: 'pointsweep_issuer_call_seconds',
    help: 'Calls to card companies through their lanes (rate limit, breaker, timeout), by outcome',
    labelNames: ['issuer', 'operation', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 2.5, 5],
    registers: [runtime.metrics],
  });
  return (issuer, operation, outcome, seconds) => histogram.observe({ issuer, operation, outcome }, seconds);
}

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
          useFactory: (c: Connectors, s: IssuerSettings, logger: JsonLogger) => new IssuerGateway(c, s, logger, undefined, issuerCallHistogram(runtime)),
          inject: [ISSUER_CONNECTORS, ISSUER_SETTINGS, JsonLogger],
        },
        BreakerHealth,
        BreakerEvents,
      ],
    };
  }
}
