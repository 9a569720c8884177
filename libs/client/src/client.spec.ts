import 'reflect-metadata';
import { ErrorCodes, messageDefinition, MessageDefinition, MessageEnvelope, PointsweepError, topicsFor } from '@pointsweep/contracts';
import type { Producer } from 'kafkajs';
import { operatorKey, PointsweepClient } from './client';
import { CoalescingSender } from './coalescing-sender';

/** A client whose transport is replaced by a recorder: checks each typed method sends the right command and key. */
function recordingClient(): { client: PointsweepClient; sent: { type: string; kind: string; topic: string; payload: object; key: string }[] } {
  const sent: { type: string; kind: string; topic: string; payload: object; key: string }[] = [];
  const client = Object.create(PointsweepClient.prototype) as PointsweepClient;
  client.request = (async (definition: MessageDefinition, payload: object, key: string) => {
    sent.push({ type: definition.type, kind: definition.kind, topic: definition.topic, payload, key });
    return { echoed: definition.type };
  }) as PointsweepClient['request'];
  return { client, sent };
}

const assertion = 'a'.repeat(32);
const personId = '9b7a3c3e-6f0e-4a53-9d0a-6c1f1f1b2c3d';
const uuid = '1b7a3c3e-6f0e-4a53-9d0a-6c1f1f1b2c3d';

describe('PointsweepClient typed commands', () => {
  it.each([
    ['revokeConsent', (c: PointsweepClient) => c.revokeConsent({ assertion, issuer: 'KB' }, personId), 'RevokeConsent', 'identityCommands', personId],
    [
      'quoteCashOut',
      (c: PointsweepClient) => c.quoteCashOut({ assertion, accountId: uuid, parts: [{ program: 'KB_POINTREE', points: 10 }] }, personId),
      'QuoteCashOut', 'ledgerCommands', personId,
    ],
    ['confirmQuote', (c: PointsweepClient) => c.confirmQuote({ assertion, requestId: 'req-12345', quoteId: uuid }, personId), 'ConfirmQuote', 'ledgerCommands', personId],
    ['listManualReview', (c: PointsweepClient) => c.listManualReview({ operator: 'kim' }), 'ListManualReview', 'ledgerCommands', 'operator:kim'],
    ['releaseDuePayouts', (c: PointsweepClient) => c.releaseDuePayouts({ operator: 'kim' }), 'ReleaseDuePayouts', 'settlementCommands', 'operator:kim'],
  ])('%s sends %s', async (_name, call, type, topic, key) => {
    const { client, sent } = recordingClient();
    await expect(call(client)).resolves.toEqual({ echoed: type });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ type, kind: 'command', topic, key });
  });

  it('keys operator commands by operator', () => {
    expect(operatorKey('ops.lee')).toBe('operator:ops.lee');
  });
});

type Answer = { ok: true; result: unknown } | { busyFor: number } | { sendFails: Error };

/** A client whose producer answers each send from a script, as the reply consumer would. */
function scriptedClient(answers: Answer[], options: { busyRetries?: number } = {}) {
  const sent: MessageEnvelope[] = [];
  const busy: { type: string; retryAfterMs: number }[] = [];
  const client = Object.create(PointsweepClient.prototype) as PointsweepClient;
  const pending = new Map<string, { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  const producer = {
    async sendBatch(record: { topicMessages: { messages: { value: string }[] }[] }) {
      const envelope = JSON.parse(record.topicMessages[0].messages[0].value) as MessageEnvelope;
      sent.push(envelope);
      const answer = answers.shift() ?? { ok: true, result: 'default' };
      if ('sendFails' in answer) throw answer.sendFails;
      const waiting = pending.get(envelope.id)!;
      clearTimeout(waiting.timer);
      pending.delete(envelope.id);
      if ('busyFor' in answer) waiting.reject(new PointsweepError(ErrorCodes.serviceBusy, 'busy', true, answer.busyFor));
      else waiting.resolve(answer.result);
    },
  };
  Object.assign(client, {
    options: { timeoutMs: 5000, busyRetries: options.busyRetries ?? 5, onBusy: (type: string, retryAfterMs: number) => busy.push({ type, retryAfterMs }) },
    topics: topicsFor('spec'),
    replyTopic: 'spec.replies.client',
    producer,
    sender: new CoalescingSender(producer as unknown as Pick<Producer, 'sendBatch'>),
    pending,
    busyAnswers: 0,
  });
  return { client, sent, busy, pending };
}

describe('PointsweepClient when the service is busy or unreachable', () => {
  const lookup = messageDefinition('LookupPoints')!;

  it('sends a request again after a SERVICE_BUSY answer, once the retry-after it names has passed', async () => {
    const { client, sent, busy } = scriptedClient([{ busyFor: 20 }, { busyFor: 10 }, { ok: true, result: 'taken' }]);
    const started = Date.now();
    await expect(client.request(lookup, { assertion }, personId)).resolves.toBe('taken');
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((e) => e.id)).size).toBe(3);
    expect(sent.every((e) => e.key === personId && e.replyTo === 'spec.replies.client')).toBe(true);
    expect(busy).toEqual([{ type: 'LookupPoints', retryAfterMs: 20 }, { type: 'LookupPoints', retryAfterMs: 10 }]);
    expect(client.busyAnswers).toBe(2);
  });

  it('hands the busy answer to the caller once its busy retries are used up', async () => {
    const { client, sent } = scriptedClient([{ busyFor: 1 }, { busyFor: 1 }, { ok: true, result: 'too late' }], { busyRetries: 1 });
    await expect(client.request(lookup, { assertion }, personId)).rejects.toMatchObject({ code: ErrorCodes.serviceBusy, retriable: true, retryAfterMs: 1 });
    expect(sent).toHaveLength(2);
  });

  it('fails a request that could not be sent at once, and leaves no reply wait behind', async () => {
    const { client, pending } = scriptedClient([{ sendFails: new Error('broker unreachable') }]);
    await expect(client.request(lookup, { assertion }, personId)).rejects.toThrow('broker unreachable');
    expect(pending.size).toBe(0);
  });
});
