import { BaseRpcContext } from '@nestjs/microservices';
import { EntityManager } from 'typeorm';
import { MessageDefinition, MessageEnvelope, Topics } from '@pointsweep/contracts';
import { buildEnvelope } from './envelopes';
import { PendingMessage } from './outbox';

/**
 * What a Kafka handler gets besides its payload: the envelope, the transaction its effect must use,
 * the time the message was accepted, and emit(), which queues messages into the same transaction's outbox.
 */
export class MessageContext extends BaseRpcContext<[MessageEnvelope]> {
  readonly pending: PendingMessage[] = [];

  constructor(
    readonly envelope: MessageEnvelope,
    readonly tx: EntityManager,
    readonly acceptedAt: Date,
    private readonly topics: Topics,
  ) {
    super([envelope]);
  }

  emit<P extends object>(definition: MessageDefinition, payload: P, key: string): MessageEnvelope<P> {
    const envelope = buildEnvelope(definition, payload, {
      key,
      correlationId: this.envelope.correlationId,
      causationId: this.envelope.id,
      occurredAt: this.acceptedAt,
    });
    this.pending.push({ topic: this.topics[definition.topic], envelope });
    return envelope;
  }
}
