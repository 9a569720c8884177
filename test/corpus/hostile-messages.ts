/**
 * The hostile and broken message corpus: every entry is one Kafka message (raw bytes, so anything goes) for one
 * command topic, with the error code its consumer must answer (reply) or dead-letter it with.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ErrorCodes, TopicName } from '@pointsweep/contracts';
import { EnvelopeSigner, generateKeyRing, MessageErrorCodes } from '@pointsweep/messaging';

export type CommandTopic = Extract<TopicName, 'identityCommands' | 'issuerCommands' | 'ledgerCommands' | 'settlementCommands'>;
export const COMMAND_TOPICS: CommandTopic[] = ['identityCommands', 'issuerCommands', 'ledgerCommands', 'settlementCommands'];

export interface CorpusEntry {
  name: string;
  topic: CommandTopic;
  value: Buffer;
  /** The envelope id, when the bytes hold one (replies are matched by it). */
  envelopeId?: string;
  expectedCode: string;
}

export interface CorpusContext {
  prefix: string;
  replyTo: string;
  /** A real person's valid assertion and ids, for messages that pass validation and must be refused further in. */
  assertion: string;
  personId: string;
  now: Date;
  /** Signs with the services' own key ring: for messages signed and then changed on the way. */
  signer: EnvelopeSigner;
}

type Plain = Record<string, unknown>;

const INVALID = ErrorCodes.invalidMessage;
const SQL = ["'; DROP TABLE cash_outs; --", "1' OR '1'='1", 'x"); DELETE FROM inbox; --', "Robert'); DROP TABLE persons;--"];

/** A payload for each command type that passes validation (the assertion is garbage unless stated). */
function validPayloads(ctx: CorpusContext): Record<string, { topic: CommandTopic; payload: Plain }> {
  const garbage = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
  return {
    StartIdentityVerification: { topic: 'identityCommands', payload: { name: '테스트', birthDate: '1990-01-01', carrier: 'SKT', phone: '01012345678' } },
    ConfirmIdentityVerification: { topic: 'identityCommands', payload: { verificationId: randomUUID(), code: '123456' } },
    GrantConsent: { topic: 'identityCommands', payload: { assertion: garbage, issuer: 'KB' } },
    RevokeConsent: { topic: 'identityCommands', payload: { assertion: garbage, issuer: 'KB' } },
    RegisterPayoutAccount: { topic: 'identityCommands', payload: { assertion: garbage, bankCode: '020', accountNumber: '1002123456789' } },
    LookupPoints: { topic: 'issuerCommands', payload: { assertion: garbage } },
    RedeemPoints: { topic: 'issuerCommands', payload: { partId: randomUUID(), personId: randomUUID(), program: 'KB_POINTREE', points: 100, idempotencyKey: 'idem-key-0001' } },
    RefundPoints: {
      topic: 'issuerCommands',
      payload: { partId: randomUUID(), personId: randomUUID(), program: 'KB_POINTREE', points: 100, redemptionTransactionId: 'tx-1', idempotencyKey: 'idem-key-0002' },
    },
    CashOut: { topic: 'ledgerCommands', payload: { assertion: garbage, requestId: 'req-corpus-001', accountId: randomUUID(), parts: [{ program: 'KB_POINTREE', points: 100 }] } },
    GetCashOutStatus: { topic: 'ledgerCommands', payload: { assertion: garbage, cashOutId: randomUUID() } },
    QuoteCashOut: { topic: 'ledgerCommands', payload: { assertion: garbage, accountId: randomUUID(), parts: [{ program: 'KB_POINTREE', points: 100 }] } },
    ConfirmQuote: { topic: 'ledgerCommands', payload: { assertion: garbage, requestId: 'req-corpus-002', quoteId: randomUUID() } },
    ListManualReview: { topic: 'ledgerCommands', payload: { operator: 'corpus.ops' } },
    RequestPayout: {
      topic: 'settlementCommands',
      payload: {
        partId: randomUUID(), personId: randomUUID(), accountId: randomUUID(), amountWon: 100, issuer: 'KB', acceptedAt: ctx.now.toISOString(),
        bankCode: '020', sealedAccountNumber: 'corpus.sealed.account.number',
      },
    },
    ReleaseDuePayouts: { topic: 'settlementCommands', payload: { operator: 'corpus.ops' } },
  };
}

/** For envelope-level mutations: a command of each topic whose payload is valid. */
const PROBE_TYPE: Record<CommandTopic, string> = {
  identityCommands: 'GrantConsent',
  issuerCommands: 'LookupPoints',
  ledgerCommands: 'ListManualReview',
  settlementCommands: 'ReleaseDuePayouts',
};

/** Numeric fields and the amounts no contract accepts. */
const AMOUNT_FIELDS: Record<string, string> = { RedeemPoints: 'points', RefundPoints: 'points', RequestPayout: 'amountWon' };
const BAD_AMOUNTS: [string, unknown][] = [
  ['negative', -100], ['zero', 0], ['fractional', 1.5], ['over the maximum', 1_000_000_001], ['beyond safe integers', 2 ** 53 + 2],
  ['a numeric string', '100'], ['null', null], ['a boolean', true], ['an array', [100]], ['an object', { value: 100 }],
  ['negative zero', -0.0000001], ['exponent', 1e21],
];

export function buildCorpus(ctx: CorpusContext): CorpusEntry[] {
  const entries: CorpusEntry[] = [];
  const valid = validPayloads(ctx);
  const envelopeFor = (type: string, payload: Plain, extra: Plain = {}): Plain => ({
    id: randomUUID(),
    type,
    version: 1,
    occurredAt: new Date().toISOString(),
    correlationId: randomUUID(),
    key: 'corpus',
    kind: 'command',
    replyTo: ctx.replyTo,
    payload,
    ...extra,
  });
  const add = (name: string, topic: CommandTopic, value: Buffer | string, expectedCode: string, envelopeId?: string) =>
    entries.push({ name, topic, value: Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8'), expectedCode, envelopeId });
  const addEnvelope = (name: string, topic: CommandTopic, envelope: Plain, expectedCode: string, text?: string) =>
    add(name, topic, text ?? JSON.stringify(envelope), expectedCode, typeof envelope.id === 'string' ? envelope.id : undefined);

  for (const topic of COMMAND_TOPICS) {
    const probe = PROBE_TYPE[topic];
    const probeEnvelope = (extra: Plain = {}) => envelopeFor(probe, { ...valid[probe].payload }, extra);
    const marker = () => randomUUID(); // keeps raw entries' bytes distinct

    // -- bytes that are not a JSON object --------------------------------------------------------------------
    add('empty value', topic, '', INVALID);
    add('invalid UTF-8 (0xff 0xfe)', topic, Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), INVALID);
    add('overlong UTF-8 encoding of "/"', topic, Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), INVALID);
    add('lone UTF-8 continuation byte', topic, Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0x80]), Buffer.from('"}')]), INVALID);
    add('truncated UTF-8 sequence', topic, Buffer.concat([Buffer.from(JSON.stringify(probeEnvelope()).slice(0, -2)), Buffer.from([0xe2, 0x82])]), INVALID);
    add('UTF-16 encoded JSON', topic, Buffer.from(`\ufeff${JSON.stringify(probeEnvelope())}`, 'utf16le'), INVALID);
    add('random binary', topic, Buffer.concat([Buffer.from([0x00, 0xff, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef]), Buffer.from(marker())]), INVALID);
    add('plain text', topic, `hello ${marker()}`, INVALID);
    add('unterminated JSON', topic, `{"id":"${marker()}"`, INVALID);
    add('JSON with single quotes', topic, `{'id':'${marker()}'}`, INVALID);
    add('JSON with trailing garbage', topic, `${JSON.stringify(probeEnvelope())}x`, INVALID);
    add('XML', topic, `<command id="${marker()}"/>`, INVALID);
    add('JSON array', topic, `[${JSON.stringify(probeEnvelope())}]`, INVALID);
    add('JSON string', topic, JSON.stringify(marker()), INVALID);
    add('JSON number', topic, '42', INVALID);
    add('JSON null', topic, 'null', INVALID);
    add('JSON true', topic, 'true', INVALID);
    add('NaN literal', topic, `{"version":NaN,"m":"${marker()}"}`, INVALID);

    // -- envelope fields missing, mistyped or extra -----------------------------------------------------------
    for (const field of ['id', 'type', 'version', 'occurredAt', 'correlationId', 'key', 'kind', 'payload']) {
      const envelope = probeEnvelope();
      delete envelope[field];
      if (field === 'id') envelope.correlationId = marker();
      addEnvelope(`envelope without ${field}`, topic, envelope, INVALID);
    }
    const wrong: [string, Plain][] = [
      ['id as a number', { id: 123 }], ['id not a uuid', { id: 'not-a-uuid' }], ['type as a number', { type: 7 }],
      ['type not PascalCase', { type: 'grant_consent' }], ['type SQL-ish', { type: SQL[0] }], ['version as a string', { version: '1' }],
      ['version fractional', { version: 1.5 }], ['version zero', { version: 0 }], ['version negative', { version: -1 }],
      ['version overflowing', { version: 1e400 }], ['occurredAt not a date', { occurredAt: 'yesterday' }],
      ['occurredAt as epoch number', { occurredAt: 1_764_000_000_000 }], ['occurredAt impossible date', { occurredAt: '2026-13-45T25:61:00Z' }],
      ['empty correlationId', { correlationId: '' }], ['correlationId too long', { correlationId: 'c'.repeat(129) }],
      ['empty key', { key: '' }], ['kind unknown', { kind: 'query' }], ['kind event for a command', { kind: 'event' }],
      ['kind reply for a command', { kind: 'reply' }], ['payload an array', { payload: [] }], ['payload a string', { payload: 'x' }],
      ['payload null', { payload: null }], ['replyTo with a space', { replyTo: 'reply topic' }], ['extra envelope field', { priority: 'high' }],
      ['causationId empty', { causationId: '' }],
    ];
    for (const [name, patch] of wrong) {
      const envelope = probeEnvelope(patch);
      const text = name === 'version overflowing' ? JSON.stringify({ ...envelope, version: 0 }).replace('"version":0', '"version":1e400') : undefined;
      addEnvelope(name, topic, envelope, INVALID, text);
    }

    // -- unknown types and versions, wrong topic -----------------------------------------------------------------
    addEnvelope('unknown type', topic, probeEnvelope({ type: 'DropAllTables' }), ErrorCodes.unknownMessageType);
    addEnvelope('type Reply as a command', topic, probeEnvelope({ type: 'Reply' }), ErrorCodes.unknownMessageType);
    addEnvelope('version 2', topic, probeEnvelope({ version: 2 }), ErrorCodes.unsupportedVersion);
    addEnvelope('version 999', topic, probeEnvelope({ version: 999 }), ErrorCodes.unsupportedVersion);
    addEnvelope('an event pushed onto a command topic', topic,
      envelopeFor('PointsRedemptionFailed', { partId: randomUUID(), code: 'CORPUS', reason: 'an event on the wrong topic' }, { kind: 'event' }), MessageErrorCodes.wrongTopic);
    const foreign = topic === 'ledgerCommands' ? 'ReleaseDuePayouts' : 'ListManualReview';
    addEnvelope('another service\'s command', topic, envelopeFor(foreign, { operator: 'corpus.ops' }), MessageErrorCodes.wrongTopic);

    // -- size, shape, keys and characters -------------------------------------------------------------------------
    addEnvelope('oversized (300 KiB)', topic, probeEnvelope({ correlationId: marker(), padding: 'x'.repeat(300 * 1024) }), MessageErrorCodes.tooLarge);
    addEnvelope('oversized (900 KiB)', topic, probeEnvelope({ correlationId: marker(), padding: 'y'.repeat(900 * 1024) }), MessageErrorCodes.tooLarge);
    const deepArray = '['.repeat(20_000) + ']'.repeat(20_000);
    addEnvelope('array nested 20000 deep', topic, probeEnvelope(), MessageErrorCodes.tooComplex,
      JSON.stringify(probeEnvelope()).replace('"payload":{', `"payload":{"x":${deepArray},`));
    const deepObject = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    addEnvelope('object nested 5000 deep', topic, probeEnvelope(), MessageErrorCodes.tooComplex,
      JSON.stringify(probeEnvelope()).replace('"payload":{', `"payload":{"x":${deepObject},`));
    addEnvelope('payload nested 17 deep', topic, probeEnvelope(), MessageErrorCodes.tooComplex,
      JSON.stringify(probeEnvelope()).replace('"payload":{', `"payload":{"x":${'['.repeat(17)}${']'.repeat(17)},`));
    addEnvelope('huge array (30000 numbers)', topic, probeEnvelope({ payload: { ...valid[probe].payload, list: Array.from({ length: 30_000 }, (_, i) => i) } }), MessageErrorCodes.tooComplex);
    addEnvelope('array of 101 items', topic, probeEnvelope({ payload: { ...valid[probe].payload, list: Array.from({ length: 101 }, () => 1) } }), MessageErrorCodes.tooComplex);
    addEnvelope('object with 5000 keys', topic,
      probeEnvelope({ payload: { ...valid[probe].payload, ...Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])) } }), MessageErrorCodes.tooComplex);
    const withKey = (where: 'envelope' | 'payload', key: string) => {
      const envelope = probeEnvelope();
      const json = JSON.stringify(envelope);
      return where === 'envelope'
        ? json.replace('{"id"', `{"${key}":{"isAdmin":true},"id"`)
        : json.replace('"payload":{', `"payload":{"${key}":{"isAdmin":true},`);
    };
    for (const [where, key] of [['envelope', '__proto__'], ['payload', '__proto__'], ['payload', 'constructor'], ['payload', 'prototype'], ['envelope', 'constructor']] as const) {
      const text = withKey(where, key);
      add(`${key} key in the ${where}`, topic, text, MessageErrorCodes.forbiddenKey, JSON.parse(text).id);
    }
    addEnvelope('NUL in correlationId', topic, probeEnvelope({ correlationId: `corr\u0000${marker()}` }), MessageErrorCodes.unsafeText);
    addEnvelope('NUL in key', topic, probeEnvelope({ key: `k\u0000${marker()}` }), MessageErrorCodes.unsafeText);
    addEnvelope('unpaired high surrogate', topic, probeEnvelope(), MessageErrorCodes.unsafeText,
      JSON.stringify(probeEnvelope()).replace('"key":"corpus"', `"key":"\\ud800${marker()}"`));
    addEnvelope('unpaired low surrogate in a payload key', topic, probeEnvelope(), MessageErrorCodes.unsafeText,
      JSON.stringify(probeEnvelope()).replace('"payload":{', '"payload":{"\\udc00":1,'));

    // -- timestamps ---------------------------------------------------------------------------------------------------
    const at = (ms: number) => new Date(ctx.now.getTime() + ms).toISOString();
    addEnvelope('occurredAt in 2099', topic, probeEnvelope({ occurredAt: '2099-01-01T00:00:00.000Z' }), MessageErrorCodes.timestampInFuture);
    addEnvelope('occurredAt a day ahead of both clocks', topic, probeEnvelope({ occurredAt: new Date(Math.max(Date.now(), ctx.now.getTime()) + 86_400_000).toISOString() }),
      MessageErrorCodes.timestampInFuture);
    addEnvelope('occurredAt in 1970', topic, probeEnvelope({ occurredAt: '1970-01-01T00:00:00.000Z' }), MessageErrorCodes.tooOld);
    addEnvelope('occurredAt 30 days ago', topic, probeEnvelope({ occurredAt: at(-30 * 86_400_000) }), MessageErrorCodes.tooOld);

    // -- where the reply would go ---------------------------------------------------------------------------------
    for (const replyTo of ['.', '..', `${ctx.prefix}.ledger.commands`, 'other-prefix.replies.x', `${ctx.prefix}.replies.`]) {
      addEnvelope(`replyTo "${replyTo}"`, topic, probeEnvelope({ replyTo }), MessageErrorCodes.invalidReplyTopic);
    }
  }

  // -- payloads of each command type: missing, mistyped and extra fields; amounts; SQL-ish strings ------------------
  for (const [type, { topic, payload }] of Object.entries(valid)) {
    for (const field of Object.keys(payload)) {
      const missing = { ...payload };
      delete missing[field];
      addEnvelope(`${type} without ${field}`, topic, envelopeFor(type, missing), INVALID);
      const value = payload[field];
      const mistyped = typeof value === 'string' ? 12345 : typeof value === 'number' ? String(value) : 'not-an-array';
      addEnvelope(`${type}.${field} mistyped`, topic, envelopeFor(type, { ...payload, [field]: mistyped }), INVALID);
      if (typeof value === 'string' && !['assertion', 'requestId', 'idempotencyKey', 'redemptionTransactionId', 'name', 'sealedAccountNumber'].includes(field)) {
        addEnvelope(`${type}.${field} SQL-ish`, topic, envelopeFor(type, { ...payload, [field]: SQL[entries.length % SQL.length] }), INVALID);
      }
    }
    addEnvelope(`${type} with an extra field`, topic, envelopeFor(type, { ...payload, isAdmin: true }), INVALID);
    addEnvelope(`${type} with an empty payload`, topic, envelopeFor(type, {}), INVALID);
    const amount = AMOUNT_FIELDS[type];
    if (amount) {
      for (const [name, bad] of BAD_AMOUNTS) addEnvelope(`${type}.${amount} ${name}`, topic, envelopeFor(type, { ...payload, [amount]: bad }), INVALID);
      const infinite = envelopeFor(type, { ...payload, [amount]: 0 });
      addEnvelope(`${type}.${amount} overflowing to Infinity`, topic, infinite, INVALID, JSON.stringify(infinite).replace(`"${amount}":0`, `"${amount}":1e400`));
    }
  }
  for (const type of ['CashOut', 'QuoteCashOut']) {
    const { topic, payload } = valid[type];
    for (const [name, bad] of BAD_AMOUNTS) {
      addEnvelope(`${type}.parts[0].points ${name}`, topic, envelopeFor(type, { ...payload, parts: [{ program: 'KB_POINTREE', points: bad }] }), INVALID);
    }
    addEnvelope(`${type} with no parts`, topic, envelopeFor(type, { ...payload, parts: [] }), INVALID);
    addEnvelope(`${type} with 13 parts`, topic, envelopeFor(type, { ...payload, parts: Array.from({ length: 13 }, () => ({ program: 'KB_POINTREE', points: 1 })) }), INVALID);
    addEnvelope(`${type} with an unknown program`, topic, envelopeFor(type, { ...payload, parts: [{ program: 'FAKE_POINT', points: 1 }] }), INVALID);
    addEnvelope(`${type} part with an extra field`, topic, envelopeFor(type, { ...payload, parts: [{ program: 'KB_POINTREE', points: 1, won: 1_000_000 }] }), INVALID);
    addEnvelope(`${type} part __proto__`, topic, envelopeFor(type, payload), MessageErrorCodes.forbiddenKey,
      JSON.stringify(envelopeFor(type, payload)).replace('"parts":[{', '"parts":[{"__proto__":{"points":1},'));
  }

  // -- well-formed, but refused further in: forged assertions, accounts that are not the person's, SQL in free text ----
  const real = ctx.assertion;
  for (const type of ['GrantConsent', 'RevokeConsent', 'RegisterPayoutAccount', 'LookupPoints', 'CashOut', 'GetCashOutStatus', 'QuoteCashOut', 'ConfirmQuote']) {
    const { topic, payload } = valid[type];
    addEnvelope(`${type} with a forged assertion`, topic, envelopeFor(type, { ...payload, assertion: 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' }),
      ErrorCodes.assertionInvalid);
    const [head, body] = real.split('.');
    addEnvelope(`${type} with the real assertion's claims and no signature`, topic, envelopeFor(type, { ...payload, assertion: `${head}.${body}.AAAAAAAAAAAAAAAA` }),
      ErrorCodes.assertionInvalid);
  }
  // -- types only a service or an operator may send, written by someone without the key ring ----------------------------
  const outsider = new EnvelopeSigner(generateKeyRing());
  const serviceOnly: [string, CommandTopic, Plain, Plain][] = [
    ...(['RedeemPoints', 'RefundPoints', 'RequestPayout', 'ListManualReview', 'ReleaseDuePayouts'] as const)
      .map((type): [string, CommandTopic, Plain, Plain] => [type, valid[type].topic, { ...valid[type].payload, ...('personId' in valid[type].payload ? { personId: ctx.personId } : {}) }, {}]),
    ['ConsentGranted', 'issuerCommands', { personId: ctx.personId, ci: 'Q29ycHVzQ29ycHVzQ29ycHVz', issuer: 'KB' }, { kind: 'event', replyTo: undefined }],
    ['ConsentRevoked', 'issuerCommands', { personId: ctx.personId, issuer: 'KB' }, { kind: 'event', replyTo: undefined }],
  ];
  for (const [type, topic, payload, extra] of serviceOnly) {
    const NOT_AUTHENTIC = MessageErrorCodes.notAuthentic;
    const fresh = () => JSON.parse(JSON.stringify(envelopeFor(type, { ...payload }, extra)));
    addEnvelope(`${type} without a signature`, topic, fresh(), NOT_AUTHENTIC);
    addEnvelope(`${type} signed with another key ring`, topic, outsider.sign(fresh()), NOT_AUTHENTIC);
    const changed = ctx.signer.sign(fresh());
    addEnvelope(`${type} signed, then its payload changed`, topic, { ...changed, payload: { ...changed.payload, ...('personId' in payload ? { personId: randomUUID() } : { operator: 'mallory.ops' }) } }, NOT_AUTHENTIC);
    const rekeyed = ctx.signer.sign(fresh());
    addEnvelope(`${type} signed, then its key changed`, topic, { ...rekeyed, key: 'someone-else' }, NOT_AUTHENTIC);
    addEnvelope(`${type} with a signature that is not keyId.mac`, topic, { ...fresh(), signature: 'trust-me' }, INVALID);
  }
  for (const [i, sql] of SQL.entries()) {
    addEnvelope(`CashOut with SQL-ish requestId ${i + 1}`, 'ledgerCommands',
      envelopeFor('CashOut', { assertion: real, requestId: sql, accountId: randomUUID(), parts: [{ program: 'KB_POINTREE', points: 100 }] }), ErrorCodes.accountNotOwn);
    addEnvelope(`ConfirmQuote with SQL-ish requestId ${i + 1}`, 'ledgerCommands',
      envelopeFor('ConfirmQuote', { assertion: real, requestId: sql, quoteId: randomUUID() }), ErrorCodes.notFound);
  }
  addEnvelope('CashOut to a random account', 'ledgerCommands',
    envelopeFor('CashOut', { assertion: real, requestId: 'req-random-acct', accountId: randomUUID(), parts: [{ program: 'KB_POINTREE', points: 1 }] }), ErrorCodes.accountNotOwn);
  addEnvelope('GetCashOutStatus of a random cash-out', 'ledgerCommands', envelopeFor('GetCashOutStatus', { assertion: real, cashOutId: randomUUID() }), ErrorCodes.notFound);
  addEnvelope('ConfirmIdentityVerification of a random verification', 'identityCommands',
    envelopeFor('ConfirmIdentityVerification', { verificationId: randomUUID(), code: '000000' }), ErrorCodes.notFound);
  return entries;
}

/** How dead letters are matched to entries: the source topic and the SHA-256 of the bytes. */
export function entryKey(topic: string, value: Buffer): string {
  return `${topic}#${createHash('sha256').update(value).digest('hex')}`;
}
