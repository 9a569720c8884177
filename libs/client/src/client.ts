import { randomUUID } from 'node:crypto';
import { Consumer, Kafka, logLevel, Producer } from 'kafkajs';
import {
  CASH_OUT_RESOLVED, CashOut, CashOutQuote, CashOutView, ConfirmIdentityVerification, ConfirmQuote, ConsentRecorded, ErrorCodes, GetCashOutStatus, GrantConsent, GrantConsents,
  IdentityVerified, ListManualReview, LookupPoints, ManualReviewItem, MessageDefinition, MessageEnvelope, messageDefinition,
  mustBeSigned, PayoutAccountRegistered, PayoutsReleased, PointsOverview, PointsweepError, QuoteCashOut, RegisterPayoutAccount, ReleaseDuePayouts,
  ReplyPayload, replyTopicFor, RevokeConsent, StartIdentityVerification, Topics, topicsFor, VerificationStarted,
} from '@pointsweep/contracts';
import { buildEnvelope, createTopicsAndWait, EnvelopeSigner, idempotentProducer, kafkaMessageOf, KeyRing } from '@pointsweep/messaging';
import { CoalescingSender } from './coalescing-sender';
import { isResolved, ResolvedCashOuts } from './resolved-cash-outs';

/** kafkajs's log levels, for ClientOptions.logLevel. */
export { logLevel as KafkaLogLevel } from 'kafkajs';

export interface ClientOptions {
  brokers: string[];
  topicPrefix?: string;
  /** Names this client's reply topic and consumer group; unique per client instance. */
  clientId?: string;
  timeoutMs?: number;
  /**
   * How many times a request answered SERVICE_BUSY is sent again, each after the retry-after the service asked
   * for (default 5; 0 hands the busy answer to the caller at once). A busy request was not taken, so sending it
   * again is always safe.
   */
  busyRetries?: number;
  /** Told of every SERVICE_BUSY answer (a load test counts them). */
  onBusy?: (type: string, retryAfterMs: number) => void;
  /** kafkajs's own logging (default ERROR); the CLI turns it off unless asked. */
  logLevel?: logLevel;
  /**
   * The services' key ring, for operator tools only: operator commands must be signed with it. An edge client
   * (a person's app) never holds it.
   */
  keys?: KeyRing;
}

/** The client was asked to send an operator command without the key ring to sign it. */
export const SIGNING_KEYS_REQUIRED = 'SIGNING_KEYS_REQUIRED';

/** Operator commands are keyed by the operator, so one operator's commands stay in order. */
export function operatorKey(operator: string): string {
  return `operator:${operator}`;
}

/** awaitCashOutResolved gave up: the cash-out still had parts without an outcome at its deadline. */
export const CASH_OUT_NOT_RESOLVED = 'CASH_OUT_NOT_RESOLVED';

export interface AwaitResolvedOptions {
  /** How long to wait in all (default 10 minutes). */
  timeoutMs?: number;
  /**
   * Without a notice for this long, ask GetCashOutStatus (default 10 s): a notice goes only to the client instance
   * that sent the cash-out, so another instance (or one restarted since) still finds out, only later.
   */
  fallbackPollMs?: number;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Typed request-reply over Kafka, for the edge: the CLI, demos, load tests and other internal callers.
 * Each client owns a reply topic and its own consumer group, so replies never go to another instance.
 */
export class PointsweepClient {
  private readonly pending = new Map<string, Pending>();
  private readonly resolved = new ResolvedCashOuts();
  /** How awaitCashOutResolved calls ended: told by the ledger's notice, or found by a fallback status poll. */
  readonly resolvedBy = { notice: 0, poll: 0 };
  private readonly signer?: EnvelopeSigner;
  private readonly sender: CoalescingSender;
  private constructor(
    private readonly options: Required<Omit<ClientOptions, 'keys'>> & Pick<ClientOptions, 'keys'>,
    private readonly topics: Topics,
    private readonly replyTopic: string,
    private readonly producer: Producer,
    private readonly consumer: Consumer,
  ) {
    this.signer = options.keys ? new EnvelopeSigner(options.keys) : undefined;
    this.sender = new CoalescingSender(producer);
  }

  static async connect(options: ClientOptions): Promise<PointsweepClient> {
    const full: Required<Omit<ClientOptions, 'keys'>> & Pick<ClientOptions, 'keys'> = {
      topicPrefix: 'pointsweep',
      clientId: `client-${randomUUID().slice(0, 8)}`,
      timeoutMs: 30000,
      busyRetries: 5,
      onBusy: () => undefined,
      logLevel: logLevel.ERROR,
      ...options,
    };
    const kafka = new Kafka({ clientId: full.clientId, brokers: full.brokers, logLevel: full.logLevel });
    const replyTopic = replyTopicFor(full.topicPrefix, full.clientId);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await createTopicsAndWait(admin, [{ topic: replyTopic, numPartitions: 1 }]);
    } finally {
      await admin.disconnect();
    }
    const producer = idempotentProducer(kafka);
    await producer.connect();
    const consumer = kafka.consumer({ groupId: `${full.topicPrefix}.${full.clientId}`, maxWaitTimeInMs: 50 });
    const client = new PointsweepClient(full, topicsFor(full.topicPrefix), replyTopic, producer, consumer);
    await client.listen();
    return client;
  }

  private async listen(): Promise<void> {
    await this.consumer.connect();
    const joined = new Promise<void>((resolve) => this.consumer.on(this.consumer.events.GROUP_JOIN, () => resolve()));
    await this.consumer.subscribe({ topics: [this.replyTopic], fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        if (!message.value) return;
        const envelope = JSON.parse(message.value.toString()) as MessageEnvelope<unknown>;
        if (envelope.type === CASH_OUT_RESOLVED.type) return this.resolved.told(envelope.payload as CashOutView);
        const reply = envelope as MessageEnvelope<ReplyPayload>;
        const waiting = reply.causationId ? this.pending.get(reply.causationId) : undefined;
        if (!waiting) return;
        this.pending.delete(reply.causationId!);
        clearTimeout(waiting.timer);
        if (reply.payload.ok) waiting.resolve(reply.payload.result);
        else {
          const e = reply.payload.error!;
          waiting.reject(new PointsweepError(e.code, e.message, e.retriable, e.retryAfterMs));
        }
      },
    });
    await joined;
  }

  /** Requests this client sent, and the produce requests that carried them (concurrent requests share one). */
  get sent(): { messages: number; produceRequests: number } {
    return { ...this.sender.sent };
  }

  /** SERVICE_BUSY answers this client has had (each one was sent again, or handed to the caller). */
  busyAnswers = 0;

  /**
   * Sends a command and waits for its reply; a refusal comes back as a PointsweepError with its code. A busy
   * service's answer is waited out and the request sent again, up to `busyRetries` times.
   */
  async request<R>(definition: MessageDefinition, payload: object, key: string, correlationId?: string): Promise<R> {
    for (let busy = 0; ; busy++) {
      try {
        return await this.requestOnce<R>(definition, payload, key, correlationId);
      } catch (error) {
        if (!(error instanceof PointsweepError) || error.code !== ErrorCodes.serviceBusy) throw error;
        this.busyAnswers++;
        this.options.onBusy(definition.type, error.retryAfterMs ?? 1000);
        if (busy >= this.options.busyRetries) throw error;
        await new Promise((r) => setTimeout(r, error.retryAfterMs ?? 1000));
      }
    }
  }

  private async requestOnce<R>(definition: MessageDefinition, payload: object, key: string, correlationId?: string): Promise<R> {
    if (mustBeSigned(definition) && !this.signer) {
      throw new PointsweepError(SIGNING_KEYS_REQUIRED, `only a ${definition.sender} may send ${definition.type}: connect the client with the services' key ring (keys)`);
    }
    const unsigned = buildEnvelope(definition, payload, { key, correlationId, replyTo: this.replyTopic });
    const envelope = this.signer ? this.signer.sign(unsigned) : unsigned;
    const result = new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelope.id);
        reject(new PointsweepError('REPLY_TIMEOUT', `no reply to ${definition.type} within ${this.options.timeoutMs} ms`, true));
      }, this.options.timeoutMs);
      this.pending.set(envelope.id, { resolve: resolve as (v: unknown) => void, reject, timer });
    });
    // The answer can come before the broker's acknowledgement of the send (a busy service answers at once): a
    // refusal arriving then must wait for the caller, not end the process as an unhandled rejection.
    result.catch(() => undefined);
    try {
      await this.sender.send(this.topics[definition.topic], kafkaMessageOf(envelope));
    } catch (error) {
      // The send failed (its batch may still have been written): the caller gets the error and may send again
      // (the ledger takes a request id once). Drop the wait, or its timer would reject a promise nobody holds.
      clearTimeout(this.pending.get(envelope.id)?.timer);
      this.pending.delete(envelope.id);
      throw error;
    }
    return result;
  }

  private command<R>(type: { name: string }, payload: object, key: string): Promise<R> {
    const definition = messageDefinition(type.name);
    if (!definition) return Promise.reject(new PointsweepError('UNKNOWN_MESSAGE_TYPE', `${type.name} is not in the contracts' MESSAGES`));
    return this.request<R>(definition, payload, key);
  }

  startVerification(input: StartIdentityVerification): Promise<VerificationStarted> {
    return this.command(StartIdentityVerification, input, input.phone.slice(-4));
  }
  confirmVerification(input: ConfirmIdentityVerification): Promise<IdentityVerified> {
    return this.command(ConfirmIdentityVerification, input, input.verificationId);
  }
  grantConsent(input: GrantConsent, personId: string): Promise<ConsentRecorded> {
    return this.command(GrantConsent, input, personId);
  }
  /** Several card companies in one request (a consent screen); one ConsentRecorded each, in the order asked. */
  grantConsents(input: GrantConsents, personId: string): Promise<ConsentRecorded[]> {
    return this.command(GrantConsents, input, personId);
  }
  registerPayoutAccount(input: RegisterPayoutAccount, personId: string): Promise<PayoutAccountRegistered> {
    return this.command(RegisterPayoutAccount, input, personId);
  }
  lookupPoints(input: LookupPoints, personId: string): Promise<PointsOverview> {
    return this.command(LookupPoints, input, personId);
  }
  cashOut(input: CashOut, personId: string): Promise<CashOutView> {
    return this.command(CashOut, input, personId);
  }
  cashOutStatus(input: GetCashOutStatus, personId: string): Promise<CashOutView> {
    return this.command(GetCashOutStatus, input, personId);
  }
  /**
   * Waits until every part of the cash-out has its outcome for now (paid, failed, under review, or scheduled for the
   * next business day): told by the ledger's CashOutResolved notice on this client's reply topic, without polling.
   * Rejects with CASH_OUT_NOT_RESOLVED (retriable) at the deadline.
   */
  async awaitCashOutResolved(input: GetCashOutStatus, personId: string, options: AwaitResolvedOptions = {}): Promise<CashOutView> {
    const deadline = Date.now() + (options.timeoutMs ?? 600_000);
    const fallbackPollMs = options.fallbackPollMs ?? 10_000;
    const notice = this.resolved.wait(input.cashOutId);
    let timer: NodeJS.Timeout | undefined;
    try {
      for (;;) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new PointsweepError(CASH_OUT_NOT_RESOLVED, `cash-out ${input.cashOutId} still had parts without an outcome at the deadline`, true);
        const told = await Promise.race([
          notice.told,
          new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.min(fallbackPollMs, remaining)))),
        ]);
        clearTimeout(timer);
        if (told) {
          this.resolvedBy.notice++;
          return told;
        }
        // A poll that failed for a while (timed out, busy, a broker away) is only asked again at the next fallback time.
        const polled = await this.cashOutStatus(input, personId).catch((error: unknown) => {
          if (!(error instanceof PointsweepError) || error.retriable) return undefined;
          throw error;
        });
        if (polled && isResolved(polled)) {
          this.resolvedBy.poll++;
          return polled;
        }
      }
    } finally {
      clearTimeout(timer);
      notice.cancel();
    }
  }
  revokeConsent(input: RevokeConsent, personId: string): Promise<ConsentRecorded> {
    return this.command(RevokeConsent, input, personId);
  }
  /** Quotes what a cash-out would consume and pay, and when; the quote is valid until `expiresAt`. */
  quoteCashOut(input: QuoteCashOut, personId: string): Promise<CashOutQuote> {
    return this.command(QuoteCashOut, input, personId);
  }
  /** Redeems exactly what the quote says; idempotent on `requestId` like cashOut. */
  confirmQuote(input: ConfirmQuote, personId: string): Promise<CashOutView> {
    return this.command(ConfirmQuote, input, personId);
  }
  /** Operator: cash-out parts no rule could settle. */
  listManualReview(input: ListManualReview): Promise<ManualReviewItem[]> {
    return this.command(ListManualReview, input, operatorKey(input.operator));
  }
  /** Operator: releases the scheduled payouts that are due now. */
  releaseDuePayouts(input: ReleaseDuePayouts): Promise<PayoutsReleased> {
    return this.command(ReleaseDuePayouts, input, operatorKey(input.operator));
  }

  async close(): Promise<void> {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('client closed'));
    }
    this.pending.clear();
    this.resolved.closeAll(new Error('client closed'));
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }
}
