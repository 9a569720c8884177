import type { Message, Producer } from 'kafkajs';

interface Waiting {
  topic: string;
  message: Message;
  sent(): void;
  failed(error: unknown): void;
}

/**
 * Sends what is asked while a send is in flight together, in the next produce request. An idempotent producer
 * has one request in flight at a time and kafkajs sends each send() as a request of its own, so a client shared by
 * many callers queued them one produce round trip apiece (a launch-day bench waited seconds per request on a busy
 * machine; docs/benchmarks.md, session 9). Order is kept: messages go in the order asked, batch after batch.
 */
export class CoalescingSender {
  private waiting: Waiting[] = [];
  private sending = false;
  /** Produce requests made, and messages they carried (a client can report its batching). */
  readonly sent = { requests: 0, messages: 0 };

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
          this.sent.requests++;
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
