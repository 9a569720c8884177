import 'reflect-metadata';
import { MessageDefinition } from '@pointsweep/contracts';
import { operatorKey, PointsweepClient } from './client';

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
