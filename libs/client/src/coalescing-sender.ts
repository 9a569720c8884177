import type { Message, Producer } from 'kafkajs';

interface Waiting {
  topic: string;
  message: Message;
  sent(): void;
  failed(error: unknown): void;
}

/**
 * Sends what is asked while a send is in flight together, in the next produce request: an idempotent producer has
 * one request in flight and kafkajs makes each send() a request of its own, so many callers queued one round trip
 * apiece. Messages go in the order asked. A failed request fails all of its callers, though it may have been
 * written for some of them (as a single send's failure may too).
 */
export class CoalescingSender {
  private waiting: Waiting[] = [];
  private sending = false;
  /** Messages sent, and the produce requests that carried them. */
  readonly sent = { messages: 0, produceRequests: 0 };

  constructor(private readonly producer: Pick<Producer, 'sendBatch'>, private readonly maxBatch = 500) {}

  /** Resolves once the broker acknowledged the message (acks=all); rejects with its batch's failure. */
  send(topic: string, message: Message): Promise<void> {
    const done = new Promise<void>((sent, failed) => this.waiting.push({ topic, message, sent, failed }));
    if (!this.sending) {
      this.sending = true;
      // After the current job: sends asked together (a person's six consents) share the first request too.
      queueMicrotask(() => void this.drain());
    }
    return done;
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.maxBatch);
        const byTopic = new Map<string, Message[]>();
        for (const w of batch) byTopic.set(w.topic, [...(byTopic.get(w.topic) ?? []), w.message]);
        try {
          await this.producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
          this.sent.produceRequests++;
          this.sent.messages += batch.length;
          for (const w of batch) w.sent();
        } catch (error) {
          for (const w of batch) w.failed(error);
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
