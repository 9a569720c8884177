import { ArgumentsHost, Catch } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { KafkaMessage } from 'kafkajs';
import { lastValueFrom, Observable, throwError } from 'rxjs';
import { ErrorCodes, isRetriable, MessageEnvelope, PointsweepError, ReplyPayload } from '@pointsweep/contracts';
import { ConsumerLoop } from './consumer-loop';
import { buildReply, parseEnvelope, parsePayload } from './envelopes';
import { MessageContext } from './message-context';
import { PendingMessage, writeToOutbox } from './outbox';
import { MessagingRuntime } from './runtime';

export interface TransportOptions {
  /** Consumer group, and the inbox's consumer name. */
  groupId: string;
  topics: string[];
  maxAttempts?: number;
  partitionsConsumedConcurrently?: number;
}

/**
 * Nest's microservice filter would turn our coded errors into "Internal server error": keep them intact for
 * the transport to answer with. HTTP errors take Nest's usual path.
 */
@Catch()
export class RethrowRpcErrors extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    if (host.getType() === 'rpc') return throwError(() => exception);
    return super.catch(exception, host);
  }
}

const INVALID_INPUT = new Set<string>([ErrorCodes.invalidMessage, ErrorCodes.unknownMessageType, ErrorCodes.unsupportedVersion]);

function errorOf(error: unknown): { code: string; message: string; retriable: boolean } {
  if (error instanceof PointsweepError) return { code: error.code, message: error.message, retriable: error.retriable };
  return { code: ErrorCodes.handlerFailed, message: (error as Error)?.message ?? String(error), retriable: true };
}

/**
 * Serves @MessagePattern/@EventPattern handlers from our own consumer loop. For each message, in one transaction:
 * claim the id in the inbox (a redelivery finds it and does nothing), run the handler, write what it emitted and
 * the reply to the outbox. Then the offset is committed. Invalid or repeatedly failing messages go to the
 * dead-letter topic with the reason; the loop keeps going.
 */
export class KafkaOutboxTransport extends Server implements CustomTransportStrategy {
  private loop?: ConsumerLoop;

  constructor(
    private readonly runtime: MessagingRuntime,
    private readonly options: TransportOptions,
  ) {
    super();
  }

  async listen(callback: (...optional: unknown[]) => void): Promise<void> {
    try {
      this.loop = new ConsumerLoop(
        this.runtime.kafka,
        { groupId: this.options.groupId, topics: this.options.topics, partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently },
        (message, topic, partition) => this.consume(message, topic, partition),
        this.runtime.logger,
      );
      await this.loop.start();
      this.runtime.readinessChecks.set('consumer', async () => ({ ok: true, detail: { maxLag: this.loop?.maxLag() ?? 0 } }));
      callback();
    } catch (error) {
      callback(error);
    }
  }

  async close(): Promise<void> {
    await this.loop?.stop();
  }

  on(): void {
    throw new Error('KafkaOutboxTransport has no events to subscribe to');
  }

  unwrap<T>(): T {
    return this.loop as T;
  }

  private async consume(message: KafkaMessage, topic: string, partition: number): Promise<void> {
    const source = { topic, partition, offset: message.offset };
    let envelope: MessageEnvelope | undefined;
    let payload: object;
    try {
      envelope = await parseEnvelope(message.value);
      ({ payload } = await parsePayload(envelope));
    } catch (error) {
      await this.reject(message, source, envelope, error, 1);
      return;
    }
    const handler = this.getHandlerByPattern(envelope.type);
    if (!handler) {
      // Event topics carry events other services care about; a command nobody here handles is an error.
      if (envelope.kind === 'event') return;
      await this.reject(message, source, envelope, new PointsweepError(ErrorCodes.unknownMessageType, `no handler for ${envelope.type} in ${this.options.groupId}`), 1);
      return;
    }
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.process(envelope, payload, handler);
        this.runtime.processed.inc({ type: envelope.type, outcome: 'ok' });
        return;
      } catch (error) {
        if (!isRetriable(error) || attempt >= maxAttempts) {
          await this.reject(message, source, envelope, error, attempt);
          return;
        }
        this.runtime.logFor(envelope).warn('handler failed; retrying', { error, attempt });
        await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
      }
    }
  }

  private async process(envelope: MessageEnvelope, payload: object, handler: MessageHandler): Promise<void> {
    const acceptedAt = this.runtime.clock.now();
    let wrote = false;
    await this.runtime.dataSource.transaction(async (tx) => {
      const claimed = await tx.query(
        `INSERT INTO inbox (consumer, message_id, message_type, outcome) VALUES ($1, $2, $3, 'processed')
         ON CONFLICT DO NOTHING RETURNING message_id`,
        [this.options.groupId, envelope.id, envelope.type],
      );
      if (claimed.length === 0) return; // redelivered: its effect (and reply) already committed
      const context = new MessageContext(envelope, tx, acceptedAt, this.runtime.topics);
      const result = await lastValueFrom(this.transformToObservable(await handler(payload, context)), { defaultValue: undefined });
      const out: PendingMessage[] = [...context.pending];
      if (envelope.replyTo && !handler.isEventHandler) {
        const reply: ReplyPayload = { ok: true, result };
        out.push({ topic: envelope.replyTo, envelope: buildReply(envelope, reply, acceptedAt) });
      }
      await writeToOutbox(tx, out);
      wrote = out.length > 0;
    });
    if (wrote) this.runtime.relay.kick();
  }

  /**
   * A final "no": the caller gets the coded error as its reply; a message nobody can be told about
   * (no reply topic, or not even a valid envelope) goes to the dead-letter topic with its reason.
   */
  private async reject(
    message: KafkaMessage,
    source: { topic: string; partition: number; offset: string },
    envelope: MessageEnvelope | undefined,
    error: unknown,
    attempts: number,
  ): Promise<void> {
    const reason = errorOf(error);
    const log = envelope ? this.runtime.logFor(envelope) : this.runtime.logger.child(source);
    const invalid = INVALID_INPUT.has(reason.code);
    const answered = envelope?.replyTo && error instanceof PointsweepError && !error.retriable;
    if (invalid || !answered) {
      await this.runtime.publishDirect(this.runtime.topics.deadLetter, message.key?.toString() ?? null, JSON.stringify({
        reason,
        consumer: this.options.groupId,
        source,
        attempts,
        failedAt: new Date().toISOString(),
        messageId: envelope?.id,
        messageType: envelope?.type,
        original: message.value?.toString('base64') ?? null,
      }), { 'dead-letter-reason': reason.code });
      this.runtime.deadLettered.inc({ reason: reason.code });
      log.warn('message dead-lettered', { reason, attempts });
    } else {
      this.runtime.processed.inc({ type: envelope!.type, outcome: reason.code });
    }
    if (!envelope) return;
    await this.runtime.dataSource.transaction(async (tx) => {
      const claimed = await tx.query(
        `INSERT INTO inbox (consumer, message_id, message_type, outcome) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING RETURNING message_id`,
        [this.options.groupId, envelope.id, envelope.type, `rejected:${reason.code}`],
      );
      if (claimed.length === 0 || !envelope.replyTo) return;
      const reply: ReplyPayload = { ok: false, error: reason };
      await writeToOutbox(tx, [{ topic: envelope.replyTo, envelope: buildReply(envelope, reply, this.runtime.clock.now()) }]);
    });
    this.runtime.relay.kick();
  }
}
