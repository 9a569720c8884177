import { createHash } from 'node:crypto';
import { ArgumentsHost, Catch } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { KafkaMessage } from 'kafkajs';
import { EntityManager, QueryRunner } from 'typeorm';
import { lastValueFrom, Observable, throwError } from 'rxjs';
import { ErrorCodes, isRetriable, MessageDefinition, MessageEnvelope, PointsweepError, ReplyPayload } from '@pointsweep/contracts';
import { ConsumerLoop } from './consumer-loop';
import { CLAIMED_BEFORE_SQLSTATE, queryCommitting } from './database';
import { crashPoint } from './crash-point';
import { buildReply, contentDigest, EnvelopeRefused, MAX_MESSAGE_BYTES, MessageErrorCodes, parseEnvelope, parsePayload } from './envelopes';
import { MessageContext, TransactionWork } from './message-context';
import { OUTBOX_COLUMNS, outboxValuesOf, PendingMessage, topicMessagesOf, writeToOutbox } from './outbox';
import { MessagingRuntime } from './runtime';
import { Sealer } from './security';
import { REPLAY_HEADER } from './dead-letters';
import { AdmissionPressures, queueLimitFor, retryAfterUnderPressure } from './admission-pressure';

export interface TransportOptions {
  /** Consumer group, and the inbox's consumer name. */
  groupId: string;
  topics: string[];
  maxAttempts?: number;
  partitionsConsumedConcurrently?: number;
  sessionTimeoutMs?: number;
  /** Requests that waited longer than this in their topic are answered SERVICE_BUSY (see ServiceConfig). */
  admissionMaxQueueMs?: number;
  /** Requests that bring a new person in, turned away sooner (see QueueLimits). */
  entryRequests?: { types: readonly string[]; maxQueueMs: number };
  /**
   * Seals the original bytes kept in a dead letter (they may be an edge command carrying personal data);
   * without it they are kept as plain base64.
   */
  sealer?: Sealer;
}

/** Handlers that call out (a card company, the bank, the carrier) are marked so; they never share a transaction. */
export const CALLS_OUT_KEY = 'callsOut';
export const CALLS_OUT = { [CALLS_OUT_KEY]: true } as const;
/**
 * Calls out, consecutive messages of its kind do not depend on one another, and running it again changes nothing
 * (a lookup: a read that refreshes snapshots): a chunk of them runs side by side, and what they did is committed in
 * one transaction begun only after the last has answered (or at a handler's first direct ctx.tx.query), so no
 * database connection is held while card companies are waited on. A side-by-side handler should leave its writes to
 * ctx.work (flushed once for the chunk), and add to it only once it can no longer fail: what a failed handler left
 * there is committed with the others. A redelivery may run the handler again (see processClaimingLast).
 */
export const SIDE_BY_SIDE_KEY = 'sideBySide';
export const CALLS_OUT_SIDE_BY_SIDE = { [CALLS_OUT_KEY]: true, [SIDE_BY_SIDE_KEY]: true } as const;
/** At most this many side-by-side messages of a partition run at once, as one chunk. */
const SIDE_BY_SIDE_MAX = 32;

interface HandlerRun {
  envelope: MessageEnvelope;
  handler: MessageHandler;
  context: MessageContext;
  result: unknown;
}

interface Ready {
  message: KafkaMessage;
  source: { topic: string; partition: number; offset: string };
  envelope: MessageEnvelope;
  payload: object;
  handler: MessageHandler;
  replay: boolean;
  /** May share a transaction with its neighbours: its handler only touches the database, and it is no replay. */
  groupable: boolean;
  /** May run at the same time as the messages of its kind next to it (each in its own transaction). */
  sideBySide: boolean;
}

type Step =
  | { kind: 'ignore' }
  | { kind: 'busy'; envelope: MessageEnvelope; reason: string; retryAfterMs: number }
  | { kind: 'refuse'; source: { topic: string; partition: number; offset: string }; envelope?: MessageEnvelope; error: unknown }
  | { kind: 'ready'; ready: Ready };

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

/**
 * Refusals never answered on replyTo: the envelope's replyTo is not to be trusted, the id already had its answer, or
 * the sender is not who the type requires (a forger gets no answer).
 */
const NEVER_ANSWERED = new Set<string>([MessageErrorCodes.invalidReplyTopic, MessageErrorCodes.idReused, MessageErrorCodes.notAuthentic]);
/**
 * Refusals that leave no inbox row: a reused id already has its row, and a forgery must not take the id of the
 * genuine message it copies (the digest leaves the signature out), which would then be absorbed as a redelivery.
 */
const NOT_RECORDED = new Set<string>([MessageErrorCodes.idReused, MessageErrorCodes.notAuthentic]);

type InboxQuery = (sql: string, parameters: unknown[]) => Promise<{ content_digest?: string | null; message_id?: string }[]>;

/**
 * A transaction on the runner begun only when first needed: by begin(), or by a query through one of the managers
 * txTouching gives (each marks its own flag, so a caller can tell which handler wrote).
 */
function lazyTransaction(runner: QueryRunner): { begin: () => Promise<void>; txTouching: (touched?: { yes: boolean }) => EntityManager } {
  let begun: Promise<void> | undefined;
  const begin = () => (begun ??= runner.startTransaction());
  const txTouching = (touched = { yes: false }) => new Proxy(runner.manager, {
    get: (target, property, receiver) => property === 'query'
      ? async (query: string, parameters?: unknown[]) => {
        touched.yes = true;
        await begin();
        return target.query(query, parameters);
      }
      : Reflect.get(target, property, receiver),
  });
  return { begin, txTouching };
}

/** The same id with other content is no redelivery. */
function idReused(messageId: string): PointsweepError {
  return new PointsweepError(MessageErrorCodes.idReused, `message id ${messageId} was already used for a message with other content`);
}

function errorOf(error: unknown): { code: string; message: string; retriable: boolean } {
  if (error instanceof PointsweepError) return { code: error.code, message: error.message, retriable: error.retriable };
  return { code: ErrorCodes.handlerFailed, message: (error as Error)?.message ?? String(error), retriable: true };
}

/**
 * Serves @MessagePattern/@EventPattern handlers from our own consumer loop. For each message, in one transaction:
 * claim the id in the inbox (a redelivery finds it and does nothing), run the handler, write what it emitted and
 * the reply to the outbox — handlers that only touch the database claim last, in one statement with the outbox
 * rows, and a redelivery among them sends them down the one-by-one path. Then the offset is committed. Invalid or
 * repeatedly failing messages go to the dead-letter topic with the reason; the loop keeps going.
 */
export class KafkaOutboxTransport extends Server implements CustomTransportStrategy {
  private loop?: ConsumerLoop;
  private readonly pressures: AdmissionPressures;
  /** Nest finds a handler by JSON-parsing the pattern, which throws for a plain type name: once per type, not per message. */
  private readonly handlersByType = new Map<string, MessageHandler | null>();

  constructor(
    private readonly runtime: MessagingRuntime,
    private readonly options: TransportOptions,
  ) {
    super();
    this.pressures = new AdmissionPressures(options.entryRequests?.types);
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
        (messages, topic, partition) => this.consumeChunk(messages, topic, partition),
        this.runtime.logger,
      );
      await this.loop.start();
      this.runtime.lagSource = () => this.loop?.maxLag() ?? 0;
      await this.learnPartitionCounts();
      this.runtime.readinessChecks.set('consumer', async () => ({ ok: true, detail: { maxLag: this.loop?.maxLag() ?? 0 } }));
      callback();
    } catch (error) {
      callback(error);
    }
  }

  async close(): Promise<void> {
    await this.loop?.stop();
  }

  /** How many partitions each of its topics has, once (they were created before): the shares are counted against them. */
  private async learnPartitionCounts(): Promise<void> {
    try {
      const metadata = await (await this.runtime.kafkaAdmin()).fetchTopicMetadata({ topics: this.options.topics });
      const counts = new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
      this.runtime.partitionShareSource = (topic) => {
        const assigned = this.loop?.assignment[topic];
        const count = counts.get(topic);
        return assigned && count ? assigned.length / count : undefined;
      };
    } catch (error) {
      this.runtime.logger.warn('could not learn the partition counts; this instance counts as the only one', { error: (error as Error).message });
    }
  }

  on(): void {
    throw new Error('KafkaOutboxTransport has no events to subscribe to');
  }

  unwrap<T>(): T {
    return this.loop as T;
  }

  /**
   * Messages whose handlers only touch the database share one transaction (one BEGIN/COMMIT, one inbox insert, one
   * outbox insert, one relay kick): on this machine every round trip to PostgreSQL is a system call pair, and they
   * were most of the services' CPU. Order is kept per key (the person), which is all Kafka orders by: the chunk is
   * worked in waves, each taking every key's next messages up to (and including) the first that cannot share the
   * transaction. A wave runs its shared transaction first, then its side-by-side messages, then the rest one by one,
   * so a message that calls out no longer splits the messages of other people around it into small transactions.
   */
  private async consumeChunk(messages: KafkaMessage[], topic: string, partition: number): Promise<void> {
    type Planned = { key: string; message: KafkaMessage; step: Exclude<Step, { kind: 'ignore' | 'busy' }> };
    let remaining: Planned[] = [];
    const busy: { envelope: MessageEnvelope; reason: string; retryAfterMs: number }[] = [];
    for (const message of messages) {
      const step = await this.prepare(message, topic, partition);
      if (step.kind === 'ignore') continue;
      if (step.kind === 'busy') {
        busy.push(step);
        continue;
      }
      // Kafka's own key: what chose the partition and what Kafka keeps in order (unkeyed messages count as one key).
      const key = message.key?.toString() ?? '';
      remaining.push({ key, message, step });
    }
    while (remaining.length > 0) {
      const together: Ready[] = [];
      const sideBySide: Ready[] = [];
      const alone: Planned[] = [];
      const later: Planned[] = [];
      // A key waits for the rest of the wave after its first message that cannot share the transaction; after a
      // side-by-side one, only more side-by-side ones of that key may still join it (they do not depend on one another).
      const waiting = new Map<string, 'all' | 'all but side by side'>();
      for (const planned of remaining) {
        const { key, step } = planned;
        const ready = step.kind === 'ready' ? step.ready : undefined;
        const waits = waiting.get(key);
        if (waits === 'all' || (waits !== undefined && !ready?.sideBySide)) {
          waiting.set(key, 'all');
          later.push(planned);
        } else if (ready?.groupable) together.push(ready);
        else if (ready?.sideBySide) {
          waiting.set(key, 'all but side by side');
          sideBySide.push(ready);
        } else {
          waiting.set(key, 'all');
          alone.push(planned);
        }
      }
      if (together.length > 0) await this.processGroup(together);
      if (sideBySide.length > 0) await this.processSideBySide(sideBySide);
      for (const { message, step } of alone) {
        if (step.kind === 'refuse') await this.reject(message, step.source, step.envelope, step.error, 1);
        else await this.processAlone(step.ready);
      }
      remaining = later;
    }
    if (busy.length > 0) await this.answerBusy(busy);
  }

  /**
   * Nothing was done for these, so nothing is recorded: the answers go straight to the producer (one send for the
   * chunk). A lost answer costs the caller a timeout and a retry, never a second effect.
   */
  private async answerBusy(busy: { envelope: MessageEnvelope; reason: string; retryAfterMs: number }[]): Promise<void> {
    const now = this.runtime.clock.now();
    const answers: PendingMessage[] = [];
    for (const { envelope, reason, retryAfterMs } of busy) {
      const reply: ReplyPayload = {
        ok: false,
        error: { code: ErrorCodes.serviceBusy, message: `busy: ${reason}; retry after ${retryAfterMs} ms`, retriable: true, retryAfterMs },
      };
      answers.push({ topic: envelope.replyTo!, envelope: buildReply(envelope, reply, now) });
      this.runtime.processed.inc({ type: envelope.type, outcome: ErrorCodes.serviceBusy });
    }
    await this.runtime.producer.sendBatch({ acks: -1, topicMessages: topicMessagesOf(answers) });
    this.runtime.logger.info('requests answered busy', { count: busy.length, reasons: [...new Set(busy.map((b) => b.reason.replace(/\d+/g, 'N')))] });
  }

  private handlerFor(type: string): MessageHandler | null {
    if (!this.handlersByType.has(type)) this.handlersByType.set(type, this.getHandlerByPattern(type));
    return this.handlersByType.get(type)!;
  }

  /** Parses and checks one message and finds its handler; nothing here touches the database. */
  private async prepare(message: KafkaMessage, topic: string, partition: number): Promise<Step> {
    const source = { topic, partition, offset: message.offset };
    let envelope: MessageEnvelope | undefined;
    let payload: object;
    let definition: MessageDefinition;
    try {
      envelope = await parseEnvelope(message.value, { now: this.runtime.clock.now() });
      ({ definition, payload } = await parsePayload(envelope));
    } catch (error) {
      if (error instanceof EnvelopeRefused) envelope = error.envelope;
      return { kind: 'refuse', source, envelope, error };
    }
    // A message is only taken from its own topic: an event pushed onto a command topic is not an event.
    const definitionTopic = this.runtime.topics[definition.topic];
    if (definitionTopic !== topic) {
      return { kind: 'refuse', source, envelope, error: new PointsweepError(MessageErrorCodes.wrongTopic, `${envelope.type} belongs on ${definitionTopic}, not ${topic}`) };
    }
    // Replies go only to a client's own reply topic, never to a service topic or a name Kafka refuses.
    if (envelope.replyTo !== undefined && !this.validReplyTo(envelope)) {
      return { kind: 'refuse', source, envelope, error: new PointsweepError(MessageErrorCodes.invalidReplyTopic, `replyTo must be a reply topic ${this.runtime.options.topicPrefix}.replies.<client id>`) };
    }
    const handler = this.handlerFor(envelope.type);
    if (!handler) {
      // Event topics carry events other services care about; a command nobody here handles is an error.
      if (envelope.kind === 'event') return { kind: 'ignore' };
      return { kind: 'refuse', source, envelope, error: new PointsweepError(ErrorCodes.unknownMessageType, `no handler for ${envelope.type} in ${this.options.groupId}`) };
    }
    // The edge writes to the same command topics: a saga command, an event or an operator command counts only
    // when signed with the services' key ring.
    try {
      this.runtime.signer.verify(envelope, definition);
    } catch (error) {
      return { kind: 'refuse', source, envelope, error };
    }
    const replay = message.headers?.[REPLAY_HEADER] !== undefined;
    // Admission: requests only (work already accepted — events, saga commands — is always finished), judged by
    // the time the message has spent in its topic on the real clock (Kafka's timestamp, not the service clock).
    const queuedMs = Date.now() - Number(message.timestamp);
    const limit = queueLimitFor(envelope.type, { maxQueueMs: this.options.admissionMaxQueueMs, entry: this.options.entryRequests });
    const request = envelope.replyTo !== undefined && !handler.isEventHandler && !replay;
    if (request && limit !== undefined && queuedMs > limit) {
      // The queue is at least as long as this request waited: ask for about that long, times the pressure (so the
      // turned-away do not keep the queue long by asking again and again), within bounds.
      const pressure = this.pressures.of(envelope.type);
      pressure.turnedOneAway();
      const retryAfterMs = retryAfterUnderPressure(queuedMs, pressure.factor());
      return { kind: 'busy', envelope, reason: `the request waited ${Math.round(queuedMs)} ms in the queue`, retryAfterMs };
    }
    const closed = request ? this.runtime.admissionGates.get(envelope.type)?.(payload) : undefined;
    if (closed) return { kind: 'busy', envelope, ...closed };
    if (request) this.pressures.of(envelope.type).tookOne();
    const groupable = !replay && handler.extras?.[CALLS_OUT_KEY] !== true;
    const sideBySide = !replay && handler.extras?.[SIDE_BY_SIDE_KEY] === true;
    return { kind: 'ready', ready: { message, source, envelope, payload, handler, replay, groupable, sideBySide } };
  }

  /**
   * In chunks of up to SIDE_BY_SIDE_MAX (never one id twice in a chunk: a redelivery must meet its first copy's
   * inbox row, in order). A chunk waits for its slowest member: a lookup's card companies answer within its budget.
   */
  private async processSideBySide(run: Ready[]): Promise<void> {
    let chunk: Ready[] = [];
    for (const ready of run) {
      if (chunk.length >= SIDE_BY_SIDE_MAX || chunk.some((r) => r.envelope.id === ready.envelope.id)) {
        await this.processChunkSideBySide(chunk);
        chunk = [];
      }
      chunk.push(ready);
    }
    if (chunk.length > 0) await this.processChunkSideBySide(chunk);
  }

  /**
   * The handlers at once, then one transaction for all that answered: inbox claims, their deferred writes, outbox
   * and replies (one BEGIN/COMMIT and one relay kick instead of one each, which was most of a lookup's CPU). A
   * handler that failed runs again alone, where its refusal or retry is handled; if it had already written into the
   * shared transaction, or an id was seen before, the whole chunk runs alone instead.
   */
  private async processChunkSideBySide(chunk: Ready[]): Promise<void> {
    if (chunk.length === 1) return this.processAlone(chunk[0]);
    const acceptedAt = this.runtime.clock.now();
    const runner = this.runtime.dataSource.createQueryRunner();
    const { begin, txTouching } = lazyTransaction(runner);
    const work = new TransactionWork(chunk.map((r) => r.payload));
    const outcomes = await Promise.all(chunk.map(async (ready) => {
      const touched = { yes: false };
      try {
        return { ready, ran: await this.runHandler(ready, txTouching(touched), acceptedAt, work) };
      } catch (error) {
        return { ready, failed: { error, touched: touched.yes } };
      }
    }));
    const answered = outcomes.flatMap((o) => (o.ran ? [{ ready: o.ready, ran: o.ran }] : []));
    const failed = outcomes.flatMap((o) => (o.failed ? [{ ready: o.ready, ...o.failed }] : []));
    let alone = failed.map((f) => f.ready);
    let wrote = false;
    try {
      if (failed.some((f) => f.touched)) throw new Error('a failed side-by-side handler wrote into the shared transaction');
      if (answered.length > 0) {
        await begin();
        await work.flush();
        const out = [...this.outputsOf(answered.map((a) => a.ran)), ...work.pending];
        for (const a of answered) crashPoint(`before-commit:${a.ready.envelope.type}`);
        // Fails, and the transaction with it, if a side-by-side message was seen before.
        await this.claimInboxCommitting(answered.map((a) => a.ready), out, runner);
        await runner.commitTransaction();
        wrote = out.length > 0;
        for (const a of answered) this.runtime.processed.inc({ type: a.ready.envelope.type, outcome: 'ok' });
      }
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      this.runtime.logger.debug('side-by-side chunk not committed together; processing its messages one by one', { error, messages: chunk.length });
      alone = chunk;
    } finally {
      await runner.release();
    }
    if (wrote) this.runtime.relay.kick();
    await this.processEachAlone(alone);
  }

  /**
   * Each in its own transaction, up to half a chunk at once (a chunk has distinct ids), so the fallback of a whole
   * chunk takes about two lookups' time, not the sum of them. The first failure (a dead letter the broker would not
   * take) fails the chunk only after every message already started has ended, so a retry never runs beside its own
   * leftovers.
   */
  private async processEachAlone(run: Ready[]): Promise<void> {
    let failure: { error: unknown } | undefined;
    for (let from = 0; from < run.length && !failure; from += SIDE_BY_SIDE_MAX / 2) {
      const slice = run.slice(from, from + SIDE_BY_SIDE_MAX / 2);
      await Promise.all(slice.map((ready) => this.processAlone(ready).catch((error) => void (failure ??= { error }))));
    }
    if (failure) throw failure.error;
  }

  /** One message in its own transaction, retried with back-off while its failure is retriable. */
  private async processAlone(ready: Ready): Promise<void> {
    const { message, source, envelope, payload, handler, replay } = ready;
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        if (ready.sideBySide) await this.processClaimingLast(envelope, payload, handler);
        else await this.process(envelope, payload, handler, replay);
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

  /**
   * The whole group in one transaction (a group of one too: its claim shares a statement with its outbox rows). If
   * any handler throws (a refusal, a conflict, a deadlock), everything rolls back and each message runs alone, where
   * refusals and retries are handled one by one.
   */
  private async processGroup(group: Ready[]): Promise<void> {
    const distinctIds = new Set(group.map((r) => r.envelope.id)).size === group.length;
    if (distinctIds) {
      try {
        await this.processTogether(group);
        for (const r of group) this.runtime.processed.inc({ type: r.envelope.type, outcome: 'ok' });
        return;
      } catch (error) {
        this.runtime.logger.debug('group failed; processing its messages one by one', { error, messages: group.length });
      }
    }
    for (const ready of group) await this.processAlone(ready);
  }

  /**
   * The handlers first, then the inbox claims and the outbox rows in one statement (one round trip fewer than
   * claiming first). A message of the group seen before (a redelivery, or its id reused) makes the group fail and
   * roll back: each message then runs alone, claiming first, where a redelivery is absorbed and a reused id refused.
   */
  private async processTogether(group: Ready[]): Promise<void> {
    const acceptedAt = this.runtime.clock.now();
    let wrote = false;
    await this.runtime.dataSource.transaction(async (tx) => {
      const out = await this.runHandlers(group, tx, acceptedAt);
      for (const r of group) crashPoint(`before-commit:${r.envelope.type}`);
      // Fails, and the transaction with it, if a message of the group was seen before.
      await this.claimInboxCommitting(group, out, tx.queryRunner!);
      wrote = out.length > 0;
    });
    if (wrote) this.runtime.relay.kick();
  }

  /**
   * Claims the messages' ids in the inbox and writes the outbox rows, in one statement that goes out with COMMIT
   * right behind it (queryCommitting). It fails unless every id is claimed now — one seen before is a
   * redelivery or a reused id (SQLSTATE CLAIMED_BEFORE_SQLSTATE) — and the server then rolls the transaction back.
   * The caller ends the transaction as usual: commit after success, rollback after a failure.
   */
  private async claimInboxCommitting(group: Pick<Ready, 'envelope'>[], out: PendingMessage[], runner: QueryRunner): Promise<void> {
    const values: unknown[] = [this.options.groupId];
    const rows = group.map((r) => {
      values.push(r.envelope.id, r.envelope.type, contentDigest(r.envelope));
      const b = values.length - 3;
      return `($1, $${b + 1}, $${b + 2}, 'processed', $${b + 3})`;
    });
    values.push(group.length);
    const expected = values.length;
    const outbox = out.length > 0 ? outboxValuesOf(out, values.length + 1) : undefined;
    if (outbox) values.push(...outbox.values);
    await queryCommitting(
      runner,
      `WITH claimed AS (
         INSERT INTO inbox (consumer, message_id, message_type, outcome, content_digest) VALUES ${rows.join(', ')}
         ON CONFLICT (consumer, message_id) DO NOTHING RETURNING message_id)
       ${outbox ? `, written AS (INSERT INTO ${OUTBOX_COLUMNS} ${outbox.sql})` : ''}
       SELECT inbox_claimed_all(count(*), $${expected}) FROM claimed`,
      values,
    );
  }

  /**
   * Runs the handlers in the given transaction, one after the other, then the work they deferred (TransactionWork).
   * Returns what they emitted and, for a command with replyTo, its reply (read after the deferred work, since that
   * work may emit for a handler too), then what the deferred work emitted itself.
   */
  private async runHandlers(messages: Pick<Ready, 'envelope' | 'payload' | 'handler'>[], tx: EntityManager, acceptedAt: Date): Promise<PendingMessage[]> {
    const work = new TransactionWork(messages.map((m) => m.payload));
    const ran: HandlerRun[] = [];
    for (const message of messages) ran.push(await this.runHandler(message, tx, acceptedAt, work));
    await work.flush();
    return [...this.outputsOf(ran), ...work.pending];
  }

  /** One handler in the given transaction, with the transaction's shared deferred work. */
  private async runHandler(
    { envelope, payload, handler }: Pick<Ready, 'envelope' | 'payload' | 'handler'>, tx: EntityManager, acceptedAt: Date, work: TransactionWork,
  ): Promise<HandlerRun> {
    const context = new MessageContext(envelope, tx, acceptedAt, this.runtime.topics, work);
    const result = await lastValueFrom(this.transformToObservable(await handler(payload, context)), { defaultValue: undefined });
    return { envelope, handler, context, result };
  }

  /** What the handlers emitted and, for each command with replyTo, its reply. */
  private outputsOf(ran: HandlerRun[]): PendingMessage[] {
    return ran.flatMap(({ envelope, handler, context, result }) => {
      const out: PendingMessage[] = [...context.pending];
      if (envelope.replyTo && !handler.isEventHandler) {
        const reply: ReplyPayload = { ok: true, result };
        out.push({ topic: envelope.replyTo, envelope: buildReply(envelope, reply, context.acceptedAt) });
      }
      return out;
    });
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
        await this.takenBefore((sql, parameters) => tx.query(sql, parameters), envelope.id, digest);
        return;
      }
      const out = await this.runHandlers([{ envelope, payload, handler }], tx, acceptedAt);
      crashPoint(`before-commit:${envelope.type}`);
      await writeToOutbox(tx, out, { last: true });
      wrote = out.length > 0;
    });
    if (wrote) this.runtime.relay.kick();
  }

  /**
   * For side-by-side handlers (reads that call out, e.g. a lookup): the transaction starts at the handler's first
   * ctx.tx.query, not before, so no database connection is held while the handler waits on a card company
   * (with 16 lookups in flight per partition the pool would otherwise be the limit). The inbox is claimed last, in
   * the same transaction as the handler's writes and the reply: a redelivery runs the read again and then finds the
   * claim, so nothing is written or answered twice. The handler must use only ctx.tx.query.
   */
  private async processClaimingLast(envelope: MessageEnvelope, payload: object, handler: MessageHandler): Promise<void> {
    const acceptedAt = this.runtime.clock.now();
    const runner = this.runtime.dataSource.createQueryRunner();
    const { begin, txTouching } = lazyTransaction(runner);
    const lazyTx = txTouching();
    let wrote = false;
    const digest = contentDigest(envelope);
    // Always on this message's own connection: a second one from the pool could wait forever with the pool full.
    const seenBefore = () => this.takenBefore((sql, parameters) => runner.query(sql, parameters), envelope.id, digest);
    try {
      let out: PendingMessage[];
      try {
        out = await this.runHandlers([{ envelope, payload, handler }], lazyTx, acceptedAt);
      } catch (error) {
        // The handler refused: unless the id was already taken, the refusal is this message's own.
        if (runner.isTransactionActive) await runner.rollbackTransaction();
        if (await seenBefore()) return;
        throw error;
      }
      await begin();
      crashPoint(`before-commit:${envelope.type}`);
      try {
        await this.claimInboxCommitting([{ envelope }], out, runner);
      } catch (error) {
        if ((error as { code?: string }).code !== CLAIMED_BEFORE_SQLSTATE) throw error;
        // Rolled back first (the outbox rows written beside the claim are not this message's to send).
        await runner.rollbackTransaction();
        await seenBefore();
        return;
      }
      await runner.commitTransaction();
      wrote = out.length > 0;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
    if (wrote) this.runtime.relay.kick();
  }

  /** Whether the id was taken before: a redelivery (true: absorb it) or, with other content, a reused id (throws). */
  private async takenBefore(query: InboxQuery, messageId: string, digest: string): Promise<boolean> {
    const [first] = await query(`SELECT content_digest FROM inbox WHERE consumer = $1 AND message_id = $2`, [this.options.groupId, messageId]);
    if (first?.content_digest && first.content_digest !== digest) throw idReused(messageId);
    return first !== undefined;
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
    if (!envelope || NOT_RECORDED.has(reason.code)) return;
    try {
      await this.runtime.dataSource.transaction(async (tx) => {
        const claimed = await tx.query(
          `INSERT INTO inbox (consumer, message_id, message_type, outcome, content_digest) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT DO NOTHING RETURNING message_id`,
          [this.options.groupId, envelope.id, envelope.type, `rejected:${reason.code}`, contentDigest(envelope)],
        );
        if (claimed.length === 0 || !answerable) return;
        const reply: ReplyPayload = { ok: false, error: reason };
        await writeToOutbox(tx, [{ topic: envelope.replyTo!, envelope: buildReply(envelope, reply, this.runtime.clock.now()) }], { last: true });
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
