import { createHash } from 'node:crypto';
import { ArgumentsHost, Catch } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { KafkaMessage } from 'kafkajs';
import { lastValueFrom, Observable, throwError } from 'rxjs';
import { ErrorCodes, isRetriable, MessageEnvelope, PointsweepError, ReplyPayload } from '@pointsweep/contracts';
import { ConsumerLoop } from './consumer-loop';
import { crashPoint } from './crash-point';
import { buildReply, contentDigest, EnvelopeRefused, MAX_MESSAGE_BYTES, MessageErrorCodes, parseEnvelope, parsePayload } from './envelopes';
import { MessageContext } from './message-context';
import { PendingMessage, writeToOutbox } from './outbox';
import { MessagingRuntime } from './runtime';
import { Sealer } from './security';
import { REPLAY_HEADER } from './dead-letters';

export interface TransportOptions {
  /** Consumer group, and the inbox's consumer name. */
  groupId: string;
  topics: string[];
  maxAttempts?: number;
  partitionsConsumedConcurrently?: number;
  sessionTimeoutMs?: number;
  /**
   * Seals the original bytes kept in a dead letter (they may be an edge command carrying personal data);
   * without it they are kept as plain base64.
   */
  sealer?: Sealer;
}

/** What the dead-letter topic carries for each refused message. */
export interface DeadLetter {
  reason: { code: string; message: string; retriable: boolean };
  consumer: string;
  source: { topic: string; partition: number; offset: string };
  attempts: number;
  failedAt: string;
  messageId?: string;
  messageType?: string;
  /** The original bytes, base64; null when sealed or too large to keep. */
  original: string | null;
  /** The original bytes, base64, sealed with the service's sealing key ("keyId.iv.tag.ciphertext"). */
  sealedOriginal?: string;
  /** Size and SHA-256 of the original bytes; kept even when the bytes are not. */
  originalBytes: number;
  originalSha256: string;
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

const INVALID_INPUT = new Set<string>([
  ErrorCodes.invalidMessage, ErrorCodes.unknownMessageType, ErrorCodes.unsupportedVersion, ...Object.values(MessageErrorCodes),
]);

/** Refusals never answered on replyTo: the envelope's replyTo is not to be trusted, or the id already had its answer. */
const NEVER_ANSWERED = new Set<string>([MessageErrorCodes.invalidReplyTopic, MessageErrorCodes.idReused]);

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
        {
          groupId: this.options.groupId,
          topics: this.options.topics,
          partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
          sessionTimeoutMs: this.options.sessionTimeoutMs,
        },
        (message, topic, partition) => this.consume(message, topic, partition),
        this.runtime.logger,
      );
      await this.loop.start();
      this.runtime.lagSource = () => this.loop?.maxLag() ?? 0;
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
    let definitionTopic: string;
    try {
      envelope = await parseEnvelope(message.value, { now: this.runtime.clock.now() });
      const parsed = await parsePayload(envelope);
      payload = parsed.payload;
      definitionTopic = this.runtime.topics[parsed.definition.topic];
    } catch (error) {
      if (error instanceof EnvelopeRefused) envelope = error.envelope;
      await this.reject(message, source, envelope, error, 1);
      return;
    }
    // A message is only taken from its own topic: an event pushed onto a command topic is not an event.
    if (definitionTopic !== topic) {
      await this.reject(message, source, envelope, new PointsweepError(MessageErrorCodes.wrongTopic, `${envelope.type} belongs on ${definitionTopic}, not ${topic}`), 1);
      return;
    }
    // Replies go only to a client's own reply topic, never to a service topic or a name Kafka refuses.
    if (envelope.replyTo !== undefined && !this.validReplyTo(envelope)) {
      await this.reject(message, source, envelope, new PointsweepError(MessageErrorCodes.invalidReplyTopic, `replyTo must be a reply topic ${this.runtime.options.topicPrefix}.replies.<client id>`), 1);
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
        await this.process(envelope, payload, handler, message.headers?.[REPLAY_HEADER] !== undefined);
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

  /** Only {prefix}.replies.{clientId}: never a service's own topic, nor a name Kafka refuses (".", ".."). */
  private validReplyTo(envelope: MessageEnvelope): boolean {
    const replies = `${this.runtime.options.topicPrefix}.replies.`;
    const replyTo = envelope.replyTo;
    return replyTo !== undefined && replyTo.startsWith(replies) && /^[a-zA-Z0-9_-][a-zA-Z0-9._-]*$/.test(replyTo.slice(replies.length));
  }

  private async process(envelope: MessageEnvelope, payload: object, handler: MessageHandler, replay: boolean): Promise<void> {
    const acceptedAt = this.runtime.clock.now();
    let wrote = false;
    await this.runtime.dataSource.transaction(async (tx) => {
      const digest = contentDigest(envelope);
      // A replayed dead letter may take the place of its own refusal (same id, same content), once: after that
      // the row says processed, and a second replay of it is absorbed like any redelivery.
      const claimed = await tx.query(
        `INSERT INTO inbox (consumer, message_id, message_type, outcome, content_digest) VALUES ($1, $2, $3, 'processed', $4)
         ON CONFLICT (consumer, message_id) DO UPDATE SET outcome = 'processed', processed_at = now()
           WHERE $5::boolean AND inbox.outcome LIKE 'rejected:%' AND inbox.content_digest = EXCLUDED.content_digest
         RETURNING message_id`,
        [this.options.groupId, envelope.id, envelope.type, digest, replay],
      );
      if (claimed.length === 0) {
        // Redelivered: its effect (and reply) already committed. The same id with other content is no redelivery.
        const [first]: { content_digest: string | null }[] = await tx.query(
          `SELECT content_digest FROM inbox WHERE consumer = $1 AND message_id = $2`, [this.options.groupId, envelope.id]);
        if (first?.content_digest && first.content_digest !== digest) {
          throw new PointsweepError(MessageErrorCodes.idReused, `message id ${envelope.id} was already used for a message with other content`);
        }
        return;
      }
      const context = new MessageContext(envelope, tx, acceptedAt, this.runtime.topics);
      const result = await lastValueFrom(this.transformToObservable(await handler(payload, context)), { defaultValue: undefined });
      const out: PendingMessage[] = [...context.pending];
      if (envelope.replyTo && !handler.isEventHandler) {
        const reply: ReplyPayload = { ok: true, result };
        out.push({ topic: envelope.replyTo, envelope: buildReply(envelope, reply, acceptedAt) });
      }
      await writeToOutbox(tx, out);
      wrote = out.length > 0;
      crashPoint(`before-commit:${envelope.type}`);
    });
    if (wrote) this.runtime.relay.kick();
  }

  /**
   * A final "no": the caller gets the coded error as its reply; a message nobody can be told about
   * (no reply topic, or not even a valid envelope) goes to the dead-letter topic with its reason.
   * Invalid input is always dead-lettered too. Nothing here may throw for the message's own sake, or the
   * partition would be stuck on it: only a broker that cannot take the dead letter makes it throw (and retry).
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
    const answerable = envelope !== undefined && this.validReplyTo(envelope) && !NEVER_ANSWERED.has(reason.code);
    const answered = answerable && error instanceof PointsweepError && !error.retriable;
    let deadLettered = false;
    const deadLetter = async () => {
      if (deadLettered) return;
      deadLettered = true;
      await this.runtime.publishDirect(this.runtime.topics.deadLetter, message.key?.toString() ?? null,
        JSON.stringify(this.deadLetterOf(message, source, envelope, reason, attempts)), { 'dead-letter-reason': reason.code });
      this.runtime.deadLettered.inc({ reason: reason.code });
      log.warn('message dead-lettered', { reason, attempts });
    };
    if (invalid || !answered) await deadLetter();
    else this.runtime.processed.inc({ type: envelope!.type, outcome: reason.code });
    if (!envelope || reason.code === MessageErrorCodes.idReused) return;
    try {
      await this.runtime.dataSource.transaction(async (tx) => {
        const claimed = await tx.query(
          `INSERT INTO inbox (consumer, message_id, message_type, outcome, content_digest) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT DO NOTHING RETURNING message_id`,
          [this.options.groupId, envelope.id, envelope.type, `rejected:${reason.code}`, contentDigest(envelope)],
        );
        if (claimed.length === 0 || !answerable) return;
        const reply: ReplyPayload = { ok: false, error: reason };
        await writeToOutbox(tx, [{ topic: envelope.replyTo!, envelope: buildReply(envelope, reply, this.runtime.clock.now()) }]);
      });
      this.runtime.relay.kick();
    } catch (failure) {
      // The refusal could not be recorded (the database refused the message's content, or is down): the dead
      // letter keeps the message, and the partition moves on.
      log.warn('could not record the refusal; dead-lettering instead', { error: failure });
      await deadLetter();
    }
  }

  private deadLetterOf(
    message: KafkaMessage,
    source: { topic: string; partition: number; offset: string },
    envelope: MessageEnvelope | undefined,
    reason: { code: string; message: string; retriable: boolean },
    attempts: number,
  ): DeadLetter {
    const bytes = message.value ?? Buffer.alloc(0);
    // An oversized message is never valid: keep its size and digest, not its bytes (the dead letter must fit Kafka).
    const keep = message.value !== null && bytes.length <= MAX_MESSAGE_BYTES;
    const base64 = bytes.toString('base64');
    const sealer = this.options.sealer;
    return {
      reason,
      consumer: this.options.groupId,
      source,
      attempts,
      failedAt: new Date().toISOString(),
      messageId: envelope?.id,
      messageType: envelope?.type,
      original: keep && !sealer ? base64 : null,
      ...(keep && sealer ? { sealedOriginal: sealer.seal(base64) } : {}),
      originalBytes: bytes.length,
      originalSha256: createHash('sha256').update(bytes).digest('hex'),
    };
  }
}
