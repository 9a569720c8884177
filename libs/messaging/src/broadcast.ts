import { randomUUID } from 'node:crypto';
import { Consumer } from 'kafkajs';
import { messageDefinition, TopicName } from '@pointsweep/contracts';
import { buildEnvelope, parseEnvelope, parsePayload } from './envelopes';
import { kafkaMessageOf } from './outbox';
import { MessagingRuntime } from './runtime';

/**
 * A word about now (a gate closed this second), signed and sent straight to Kafka: through the outbox it could
 * arrive after the moment it speaks of. Losing one costs nothing the next one does not make good.
 */
export async function broadcast(runtime: MessagingRuntime, type: { name: string }, payload: object, occurredAt: Date): Promise<void> {
  const definition = messageDefinition(type.name);
  if (!definition) throw new Error(`${type.name} is not in the contracts' MESSAGES`);
  const envelope = runtime.signer.sign(buildEnvelope(definition, payload, { key: definition.type, occurredAt }));
  const { key, value, headers } = kafkaMessageOf(envelope);
  await runtime.publishDirect(runtime.topics[definition.topic], key, value, headers);
}

/**
 * Hears broadcasts on one topic in every instance: a consumer group of the instance's own, from the latest offset
 * (what was said before it started is over). Only signed messages of the given types, whose payload validates,
 * reach the handler; anything else on the topic is not for it and is skipped (its owner's consumers judge it).
 */
export class BroadcastListener {
  private consumer?: Consumer;

  constructor(
    private readonly runtime: MessagingRuntime,
    private readonly topic: TopicName,
    private readonly handlers: Record<string, (payload: object) => void>,
  ) {}

  async start(): Promise<void> {
    const consumer = this.runtime.kafka.consumer({
      groupId: `${this.runtime.options.topicPrefix}.${this.runtime.options.service}.hears.${randomUUID()}`,
      maxWaitTimeInMs: 100,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [this.runtime.topics[this.topic]], fromBeginning: false });
    // Nothing to resume from after a restart, so nothing is committed: a group of one instance leaves no offsets behind.
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        try {
          const envelope = await parseEnvelope(message.value, { now: this.runtime.clock.now() });
          const handler = this.handlers[envelope.type];
          if (!handler) return;
          const { definition, payload } = await parsePayload(envelope);
          this.runtime.signer.verify(envelope, definition);
          handler(payload);
        } catch (error) {
          this.runtime.logger.warn('a broadcast was not taken', { topic: this.topic, error: (error as Error).message });
        }
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }
}
