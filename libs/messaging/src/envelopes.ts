import { randomUUID } from 'node:crypto';
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

export function buildEnvelope<P extends object>(definition: MessageDefinition, payload: P, options: EnvelopeOptions): MessageEnvelope<P> {
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

/** Parses raw bytes into an envelope, or throws a PointsweepError saying exactly what is wrong. */
export async function parseEnvelope(raw: Buffer | null): Promise<MessageEnvelope> {
  if (!raw || raw.length === 0) throw new PointsweepError(ErrorCodes.invalidMessage, 'message has no value');
  if (raw.length > MAX_MESSAGE_BYTES) {
    throw new PointsweepError(ErrorCodes.invalidMessage, `message is ${raw.length} bytes, more than ${MAX_MESSAGE_BYTES}`);
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(raw);
  if (text.includes('\uFFFD')) throw new PointsweepError(ErrorCodes.invalidMessage, 'message is not valid UTF-8');
  let plain: unknown;
  try {
    plain = JSON.parse(text);
  } catch {
    throw new PointsweepError(ErrorCodes.invalidMessage, 'message is not JSON');
  }
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    throw new PointsweepError(ErrorCodes.invalidMessage, 'message is not a JSON object');
  }
  return validated(MessageEnvelope, plain, 'envelope') as Promise<MessageEnvelope>;
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
