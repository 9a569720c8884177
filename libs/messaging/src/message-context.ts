import { BaseRpcContext } from '@nestjs/microservices';
import { EntityManager } from 'typeorm';
import { MessageDefinition, MessageEnvelope, Topics } from '@pointsweep/contracts';
import { buildEnvelope } from './envelopes';
import { PendingMessage } from './outbox';

/** Work a handler leaves to the end of its transaction: flushed once, after every handler of the group ran. */
export interface DeferredWork {
  flush(): Promise<void>;
}

/**
 * One per database transaction, shared by the handlers of a group: a handler can gather writes of the same kind
 * here (one statement for the group instead of one per message), flushed before the outbox write and the commit.
 */
export class TransactionWork {
  private readonly deferred = new Map<string, DeferredWork>();
  /**
   * Messages the deferred work emits when it flushes: written to the outbox with the handlers' own messages, in the
   * same statement, by whoever runs the transaction.
   */
  readonly pending: PendingMessage[] = [];

  /** The payloads of every message handled in this transaction, so a handler can read ahead for all of them. */
  constructor(readonly payloads: readonly object[] = []) {}

  /** The transaction's deferred work under this key, created on first use. */
  get<T extends DeferredWork>(key: string, create: () => T): T {
    let work = this.deferred.get(key);
    if (!work) {
      work = create();
      this.deferred.set(key, work);
    }
    return work as T;
  }

  async flush(): Promise<void> {
    for (const work of this.deferred.values()) await work.flush();
  }
}

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
    readonly work: TransactionWork = new TransactionWork(),
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
