import { randomUUID } from 'node:crypto';
import { ErrorCodes } from '@pointsweep/contracts';
import { checkShape, contentDigest, EnvelopeRefused, MessageErrorCodes, parseEnvelope, parsePayload, TIMESTAMP_RULE } from './envelopes';

const envelope = (extra: Record<string, unknown> = {}) => ({
  id: randomUUID(), type: 'ListManualReview', version: 1, occurredAt: new Date().toISOString(), correlationId: 'c', key: 'k', kind: 'command',
  payload: { operator: 'ops' }, ...extra,
});
const codeOf = (p: Promise<unknown>) => p.then(() => 'accepted', (e: { code?: string; message: string }) => e.code ?? e.message);

describe('parseEnvelope', () => {
  it('accepts a valid envelope and its payload', async () => {
    const parsed = await parseEnvelope(Buffer.from(JSON.stringify(envelope())), { now: new Date() });
    await expect(parsePayload(parsed)).resolves.toMatchObject({ payload: { operator: 'ops' } });
  });

  it.each([
    ['oversized', Buffer.from(JSON.stringify(envelope({ pad: 'x'.repeat(300_000) }))), MessageErrorCodes.tooLarge],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), ErrorCodes.invalidMessage],
    ['a literal U+FFFD is valid UTF-8 but no valid envelope', Buffer.from(JSON.stringify(envelope({ key: '\ufffd' })).replace('"kind"', '"kinx"')), ErrorCodes.invalidMessage],
    ['not JSON', Buffer.from('nope'), ErrorCodes.invalidMessage],
    ['nested 20000 deep', Buffer.from(JSON.stringify(envelope()).replace('"payload":{', `"payload":{"x":${'['.repeat(20000)}${']'.repeat(20000)},`)), MessageErrorCodes.tooComplex],
    ['__proto__', Buffer.from(JSON.stringify(envelope()).replace('"payload":{', '"payload":{"__proto__":{"a":1},')), MessageErrorCodes.forbiddenKey],
    ['constructor', Buffer.from(JSON.stringify(envelope()).replace('"payload":{', '"payload":{"constructor":{"prototype":{}},')), MessageErrorCodes.forbiddenKey],
    ['NUL', Buffer.from(JSON.stringify(envelope({ correlationId: 'a\u0000b' }))), MessageErrorCodes.unsafeText],
    ['unpaired surrogate', Buffer.from(JSON.stringify(envelope()).replace('"key":"k"', '"key":"\\ud800"')), MessageErrorCodes.unsafeText],
    ['far future', Buffer.from(JSON.stringify(envelope({ occurredAt: '2099-01-01T00:00:00Z' }))), MessageErrorCodes.timestampInFuture],
    ['far past', Buffer.from(JSON.stringify(envelope({ occurredAt: '2001-01-01T00:00:00Z' }))), MessageErrorCodes.tooOld],
  ])('refuses %s with its code', async (_name, raw, code) => {
    expect(await codeOf(parseEnvelope(raw, { now: new Date() }))).toBe(code);
  });

  it('judges timestamps against both the process clock and the real time', async () => {
    const pinned = new Date(Date.now() + 3 * 24 * 3_600_000); // a clock pinned three days ahead, as the demo does
    const stampedByPinnedClock = Buffer.from(JSON.stringify(envelope({ occurredAt: pinned.toISOString() })));
    const stampedByRealTime = Buffer.from(JSON.stringify(envelope()));
    await expect(parseEnvelope(stampedByPinnedClock, { now: pinned })).resolves.toBeDefined();
    await expect(parseEnvelope(stampedByRealTime, { now: pinned })).resolves.toBeDefined();
    const tooNew = new Date(pinned.getTime() + TIMESTAMP_RULE.maxFutureSkewMs + 60_000).toISOString();
    const refused = await parseEnvelope(Buffer.from(JSON.stringify(envelope({ occurredAt: tooNew }))), { now: pinned }).catch((e) => e);
    expect(refused).toBeInstanceOf(EnvelopeRefused);
    expect((refused as EnvelopeRefused).envelope.occurredAt).toBe(tooNew); // the transport can still answer its replyTo
  });

  it('does not judge timestamps without a clock', async () => {
    await expect(parseEnvelope(Buffer.from(JSON.stringify(envelope({ occurredAt: '2001-01-01T00:00:00Z' }))))).resolves.toBeDefined();
  });
});

describe('checkShape', () => {
  it('limits arrays and the number of values', () => {
    expect(() => checkShape({ a: Array.from({ length: 101 }, () => 1) })).toThrow(/array of 101 items/);
    expect(() => checkShape(Object.fromEntries(Array.from({ length: 2001 }, (_, i) => [`k${i}`, i])))).toThrow(/more than 2000/);
    expect(() => checkShape({ parts: [{ program: 'KB_POINTREE', points: 1 }] })).not.toThrow();
  });
});

describe('contentDigest', () => {
  it('ignores key order and tells other content apart', () => {
    const a = envelope();
    const reordered = JSON.parse(JSON.stringify({ payload: a.payload, ...a }));
    expect(contentDigest(reordered as never)).toBe(contentDigest(a as never));
    expect(contentDigest({ ...a, payload: { operator: 'other' } } as never)).not.toBe(contentDigest(a as never));
  });
});

describe('GrantConsents payload', () => {
  const grant = (issuers: unknown) => envelope({ type: 'GrantConsents', payload: { assertion: 'a'.repeat(32), issuers } });
  const parsed = async (issuers: unknown) => codeOf(parsePayload(await parseEnvelope(Buffer.from(JSON.stringify(grant(issuers))), { now: new Date() })));

  it('accepts several card companies at once', async () => {
    expect(await parsed(['KB', 'SHINHAN', 'HANA'])).toBe('accepted');
  });

  it.each([
    ['no card company', []],
    ['the same card company twice', ['KB', 'KB']],
    ['an unknown card company', ['KB', 'NOT_A_BANK']],
    ['a single card company not in a list', 'KB'],
  ])('refuses %s as an invalid message', async (_name, issuers) => {
    expect(await parsed(issuers)).toBe(ErrorCodes.invalidMessage);
  });
});
