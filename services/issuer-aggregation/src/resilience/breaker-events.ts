import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { IssuerBreakerStateChanged, IssuerCode, messageDefinition, Topics } from '@pointsweep/contracts';
import { buildEnvelope, CLOCK, JsonLogger, MessagingRuntime, PendingMessage, writeToOutbox } from '@pointsweep/messaging';
import type { Clock } from '@pointsweep/messaging';
import { describeError } from '../log-fields';
import { BreakerState } from './breaker-policy';
import { IssuerGateway } from './issuer-gateway';

export type BreakerEventState = 'OPEN' | 'HALF_OPEN' | 'CLOSED';

/** opossum's state names as the contract spells them. */
export function breakerEventState(state: BreakerState): BreakerEventState {
  switch (state) {
    case 'open':
      return 'OPEN';
    case 'halfOpen':
      return 'HALF_OPEN';
    case 'closed':
      return 'CLOSED';
    default: {
      const unexpected: never = state;
      throw new Error(`unknown breaker state ${String(unexpected)}`);
    }
  }
}

/** The outbox row for one state change, keyed by issuer so one company's changes stay in order. */
export function breakerStateChangedMessage(topics: Topics, issuer: IssuerCode, state: BreakerState, at: Date): PendingMessage {
  const definition = messageDefinition(IssuerBreakerStateChanged.name)!;
  const payload: IssuerBreakerStateChanged = { issuer, state: breakerEventState(state), at: at.toISOString() };
  return { topic: topics[definition.topic], envelope: buildEnvelope(definition, payload, { key: issuer, occurredAt: at }) };
}

/**
 * Publishes every breaker state change as IssuerBreakerStateChanged: each in its own small transaction through the
 * outbox, then a kick of the relay. Changes are written one after another, in the order they happened. A failure
 * to record one is logged and never reaches the breaker (its listener returns at once and never throws).
 */
@Injectable()
export class BreakerEvents implements OnModuleInit, OnModuleDestroy {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    @Inject(MessagingRuntime) private readonly runtime: Pick<MessagingRuntime, 'topics' | 'relay'>,
    @Inject(IssuerGateway) private readonly gateway: Pick<IssuerGateway, 'onStateChange'>,
    @Inject(DataSource) private readonly dataSource: Pick<DataSource, 'transaction'>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {}

  onModuleInit(): void {
    this.gateway.onStateChange((issuer, state) => this.record(issuer, state));
  }

  /** Waits for the changes queued so far to be written (or to fail). */
  async flush(): Promise<void> {
    await this.queue;
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }

  record(issuer: IssuerCode, state: BreakerState): void {
    let at: Date;
    try {
      at = this.clock.now(); // when it changed, not when the write got its turn
    } catch (error) {
      this.logger.error('could not read the clock for a breaker state change', { issuer, breaker: state, ...describeError(error) });
      return;
    }
    this.queue = this.queue
      .then(() => this.write(issuer, state, at))
      .catch((error: unknown) => {
        this.logger.error('could not record a breaker state change', { issuer, breaker: state, at: at.toISOString(), ...describeError(error) });
      });
  }

  private async write(issuer: IssuerCode, state: BreakerState, at: Date): Promise<void> {
    const message = breakerStateChangedMessage(this.runtime.topics, issuer, state, at);
    await this.dataSource.transaction((tx) => writeToOutbox(tx, [message], { last: true }));
    this.runtime.relay.kick();
  }
}
