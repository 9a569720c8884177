import { createHash, randomUUID } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { validate, ValidationError } from 'class-validator';
import { ErrorCodes, MessageDefinition, MessageEnvelope, messageDefinition, PointsweepError } from '@pointsweep/contracts';

export const MAX_MESSAGE_BYTES = 256 * 1024;

export interface EnvelopeOptions {
  key: string;
  correlationId?: string;
  causationId?: string;
  replyTo?: string;
  occurredAt?: Date;
}

export function buildEnvelope<P extends object>(definition: Pick<MessageDefinition, 'type' | 'version' | 'kind'>, payload: P, options: EnvelopeOptions): MessageEnvelope<P> {
  const id = randomUUID();
  return {
    id,
    type: definition.type,
    version: definition.version,
    kind: definition.kind,
    occurredAt: (options.occurredAt ?? new Date()).toISOString(),
    correlationId: options.correlationId ?? id,
    causationId: options.causationId,
    key: options.key,
    replyTo: options.replyTo,
    payload,
  };
}

export function buildReply(command: MessageEnvelope, payload: object, occurredAt: Date): MessageEnvelope {
  return {
    id: randomUUID(),
    type: 'Reply',
    version: 1,
    kind: 'reply',
    occurredAt: occurredAt.toISOString(),
    correlationId: command.correlationId,
    causationId: command.id,
    key: command.key,
    payload: payload as Record<string, unknown>,
  };
}

function describe(errors: ValidationError[], path = ''): string[] {
  return errors.flatMap((e) => {
    const here = path ? `${path}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => `${here}: ${m}`);
    return [...own, ...describe(e.children ?? [], here)];
  });
}

async function validated<T extends object>(cls: new () => T, plain: unknown, what: string): Promise<T> {
  const instance = plainToInstance(cls, plain);
  const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new PointsweepError(ErrorCodes.invalidMessage, `${what} is invalid: ${describe(errors).join('; ')}`);
  }
  return instance;
}

/**
 * Codes of the transport's own refusals, beside the contracts' INVALID_MESSAGE, UNKNOWN_MESSAGE_TYPE and
 * UNSUPPORTED_MESSAGE_VERSION. (To be moved into @pointsweep/contracts' ErrorCodes.)
 */
export const MessageErrorCodes = {
  tooLarge: 'MESSAGE_TOO_LARGE',
  tooComplex: 'MESSAGE_TOO_COMPLEX',
  forbiddenKey: 'MESSAGE_FORBIDDEN_KEY',
  unsafeText: 'MESSAGE_UNSAFE_TEXT',
  timestampInFuture: 'MESSAGE_TIMESTAMP_IN_FUTURE',
  tooOld: 'MESSAGE_TOO_OLD',
  idReused: 'MESSAGE_ID_REUSED_WITH_OTHER_CONTENT',
  wrongTopic: 'MESSAGE_NOT_FOR_THIS_TOPIC',
  invalidReplyTopic: 'INVALID_REPLY_TOPIC',
  /** A type only services or operators may send, without a valid signature from the services' key ring. */
  notAuthentic: 'MESSAGE_NOT_AUTHENTIC',
} as const;

/** Limits on the shape of any message: far above what a real one needs, far below what hurts a consumer. */
export const MESSAGE_LIMITS = {
  maxBytes: MAX_MESSAGE_BYTES,
  /** Objects and arrays nested inside each other (a CashOut needs 3). */
  maxDepth: 16,
  /** JSON values in the whole message (a 12-part CashOut has about 50). */
  maxValues: 2000,
  maxArrayLength: 100,
};

/**
 * Timestamp rule. A message whose occurredAt lies more than `maxFutureSkewMs` (5 minutes) after now, or more than
 * `maxAgeMs` (3 days) before now, is refused. "Now" is judged generously against both the process clock (which
 * tests and the demo pin) and the real time, because edge clients stamp real time and services stamp the pinned
 * clock: a message must be too new for both, or too old for both. The age limit is what makes the inbox's
 * retention safe: inbox rows are kept longer than any accepted message may be redelivered.
 */
export const TIMESTAMP_RULE = {
  maxFutureSkewMs: 5 * 60_000,
  maxAgeMs: 7 * 24 * 60 * 60_000,
};

export interface ParseOptions {
  /** The process clock's now; the real time is always considered too. Without it, timestamps are not judged. */
  now?: Date;
  realNow?: Date;
  timestampRule?: { maxFutureSkewMs: number; maxAgeMs: number };
}

/** A refusal of a message whose envelope could be read: the transport can still answer its replyTo. */
export class EnvelopeRefused extends PointsweepError {
  constructor(code: string, message: string, readonly envelope: MessageEnvelope) {
    super(code, message);
  }
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
// NUL (PostgreSQL refuses it in text and jsonb) and unpaired UTF-16 surrogates (not representable in UTF-8).
const UNSAFE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Walks the parsed JSON without recursion (a deeply nested message must not overflow the stack here or later in
 * class-transformer) and refuses what no contract allows: too deep, too many values, too long an array,
 * prototype keys, NUL or unpaired surrogates in any key or string.
 */
export function checkShape(plain: unknown, limits = MESSAGE_LIMITS): void {
  const stack: { value: unknown; depth: number }[] = [{ value: plain, depth: 0 }];
  let values = 0;
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (++values > limits.maxValues) throw new PointsweepError(MessageErrorCodes.tooComplex, `message has more than ${limits.maxValues} JSON values`);
    if (typeof value === 'string') {
      if (UNSAFE_TEXT.test(value)) throw new PointsweepError(MessageErrorCodes.unsafeText, 'message text holds a NUL character or an unpaired surrogate');
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= limits.maxDepth) throw new PointsweepError(MessageErrorCodes.tooComplex, `message is nested deeper than ${limits.maxDepth} levels`);
    if (Array.isArray(value)) {
      if (value.length > limits.maxArrayLength) {
        throw new PointsweepError(MessageErrorCodes.tooComplex, `message holds an array of ${value.length} items, more than ${limits.maxArrayLength}`);
      }
      for (const item of value) stack.push({ value: item, depth: depth + 1 });
      continue;
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) throw new PointsweepError(MessageErrorCodes.forbiddenKey, `message holds the forbidden key "${key}"`);
      if (UNSAFE_TEXT.test(key)) throw new PointsweepError(MessageErrorCodes.unsafeText, 'message key holds a NUL character or an unpaired surrogate');
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1 });
    }
  }
}

/** Applies TIMESTAMP_RULE to a validated envelope; see there. */
export function checkTimestamp(envelope: MessageEnvelope, options: ParseOptions): void {
  if (!options.now) return;
  const rule = options.timestampRule ?? TIMESTAMP_RULE;
  const at = Date.parse(envelope.occurredAt);
  const nows = [options.now.getTime(), (options.realNow ?? new Date()).getTime()];
  if (at > Math.max(...nows) + rule.maxFutureSkewMs) {
    throw new EnvelopeRefused(MessageErrorCodes.timestampInFuture,
      `occurredAt ${envelope.occurredAt} is more than ${rule.maxFutureSkewMs / 60_000} minutes in the future`, envelope);
  }
  if (at < Math.min(...nows) - rule.maxAgeMs) {
    throw new EnvelopeRefused(MessageErrorCodes.tooOld,
      `occurredAt ${envelope.occurredAt} is more than ${rule.maxAgeMs / 3_600_000} hours old; a message this old may no longer be deduplicated`, envelope);
  }
}

/** Parses raw bytes into an envelope, or throws a PointsweepError saying exactly what is wrong. */
export async function parseEnvelope(raw: Buffer | null, options: ParseOptions = {}): Promise<MessageEnvelope> {
  if (!raw || raw.length === 0) throw new PointsweepError(ErrorCodes.invalidMessage, 'message has no value');
  if (raw.length > MAX_MESSAGE_BYTES) {
    throw new PointsweepError(MessageErrorCodes.tooLarge, `message is ${raw.length} bytes, more than ${MAX_MESSAGE_BYTES}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new PointsweepError(ErrorCodes.invalidMessage, 'message is not valid UTF-8');
  }
  let plain: unknown;
  try {
    plain = JSON.parse(text);
  } catch {
    throw new PointsweepError(ErrorCodes.invalidMessage, 'message is not JSON');
  }
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    throw new PointsweepError(ErrorCodes.invalidMessage, 'message is not a JSON object');
  }
  checkShape(plain);
  const envelope = (await validated(MessageEnvelope, plain, 'envelope')) as MessageEnvelope;
  checkTimestamp(envelope, options);
  return envelope;
}

/**
 * JSON with every object's keys sorted: the same text for the same content, whatever order it was written in.
 * A value with toJSON (a Date) counts as what it writes, as JSON.stringify would have it on the wire.
 */
export function canonicalJson(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (v && typeof (v as { toJSON?: unknown }).toJSON === 'function') v = (v as { toJSON(): unknown }).toJSON();
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return JSON.stringify(canonical(value));
}

/**
 * A digest of the envelope's content, key order aside: tells a redelivery from another message reusing the id.
 * The signature is left out: a copy re-sent after a key rotation is still the same message.
 */
export function contentDigest(envelope: MessageEnvelope): string {
  const { signature: _signature, ...content } = envelope;
  return createHash('sha256').update(canonicalJson(content)).digest('base64url');
}

/** Checks the envelope's type and version against the contracts and validates its payload. */
export async function parsePayload(envelope: MessageEnvelope): Promise<{ definition: MessageDefinition; payload: object }> {
  const definition = messageDefinition(envelope.type);
  if (!definition) throw new PointsweepError(ErrorCodes.unknownMessageType, `unknown message type ${envelope.type}`);
  if (envelope.version !== definition.version) {
    throw new PointsweepError(
      ErrorCodes.unsupportedVersion,
      `${envelope.type} version ${envelope.version} is not supported (expected ${definition.version})`,
    );
  }
  if (envelope.kind !== definition.kind) {
    throw new PointsweepError(ErrorCodes.invalidMessage, `${envelope.type} is a ${definition.kind}, not a ${envelope.kind}`);
  }
  const payload = await validated(definition.payload, envelope.payload, `${envelope.type} payload`);
  return { definition, payload };
}
