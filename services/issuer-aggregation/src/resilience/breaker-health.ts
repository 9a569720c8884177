import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { ISSUERS } from '@pointsweep/contracts';
import { MessagingRuntime } from '@pointsweep/messaging';
import { breakerStateValue } from './breaker-policy';
import { IssuerGateway } from './issuer-gateway';

/** Breaker states in /health/ready detail and /metrics. An open breaker never makes the service unready. */
@Injectable()
export class BreakerHealth implements OnModuleInit {
  constructor(
    @Inject(MessagingRuntime) private readonly runtime: MessagingRuntime,
    @Inject(IssuerGateway) private readonly gateway: IssuerGateway,
  ) {}

  onModuleInit(): void {
    const gauge = new Gauge({
      name: 'pointsweep_issuer_breaker_state',
      help: 'Circuit breaker state per card company: 0 closed, 1 half open, 2 open',
      labelNames: ['issuer'],
      registers: [this.runtime.metrics],
    });
    for (const issuer of ISSUERS) gauge.set({ issuer }, 0);
    this.gateway.onStateChange((issuer, state) => gauge.set({ issuer }, breakerStateValue(state)));
    this.runtime.readinessChecks.set('breakers', async () => ({ ok: true, detail: this.gateway.states() }));
  }
}
