import { CASH_OUT_PART_STATES, CASH_OUT_RESOLVED, MESSAGES, MessageDefinition, MessageEnvelope, TOPIC_SUFFIXES, TopicName } from '@pointsweep/contracts';
import { JsonSchema, schemaOfClass } from './payload-schema';

/**
 * Who sends and who receives what, as the services declare it (each service's ServiceDefinition.consumes, and the
 * saga in conversion-ledger for the internal commands). Kept here because a tool may not load every service.
 */
export const SERVICES: readonly { name: string; owns: string; consumes: TopicName[] }[] = [
  { name: 'identity', owns: 'identity', consumes: ['identityCommands'] },
  { name: 'issuer-aggregation', owns: 'issuer', consumes: ['issuerCommands'] },
  { name: 'conversion-ledger', owns: 'ledger', consumes: ['ledgerCommands', 'issuerEvents', 'settlementEvents'] },
  { name: 'bank-settlement', owns: 'settlement', consumes: ['settlementCommands'] },
];

/**
 * What one service sends onto another's command stream: the cash-out saga's commands, and the events that must be
 * ordered with the receiver's commands for the same person. Every other command comes from the edge client.
 */
export const INTERNAL_COMMAND_SENDERS: Readonly<Record<string, string>> = {
  RedeemPoints: 'conversion-ledger',
  RefundPoints: 'conversion-ledger',
  RequestPayout: 'conversion-ledger',
  ConsentGranted: 'identity',
  ConsentRevoked: 'identity',
  PayoutAccountVerified: 'identity',
};

/**
 * Events about now, worthless later: sent straight to Kafka rather than through the outbox, and read by every
 * instance of the receiving service with a consumer group of its own, from the latest offset.
 */
export const BROADCASTS: Readonly<Record<string, { receiver: string }>> = {
  CashOutsTurnedAway: { receiver: 'identity' },
};

/** What a command's reply carries as `result` (a TypeScript interface in @pointsweep/contracts). */
export const REPLY_RESULTS: Readonly<Record<string, string>> = {
  StartIdentityVerification: 'VerificationStarted',
  ConfirmIdentityVerification: 'IdentityVerified',
  GrantConsent: 'ConsentRecorded',
  GrantConsents: 'ConsentRecorded[] (one per card company, in the order asked)',
  RevokeConsent: 'ConsentRecorded',
  RegisterPayoutAccount: 'PayoutAccountRegistered',
  LookupPoints: 'PointsOverview',
  CashOut: 'CashOutView',
  GetCashOutStatus: 'CashOutView',
  QuoteCashOut: 'CashOutQuote',
  ConfirmQuote: 'CashOutView',
  ListManualReview: 'ManualReviewItem[]',
  ReleaseDuePayouts: 'PayoutsReleased',
};

const TOPIC_TITLES: Record<TopicName, string> = {
  identityCommands: 'Commands to the identity service',
  identityEvents: 'Events of the identity service',
  issuerCommands: 'Commands to the issuer-aggregation service',
  issuerEvents: 'Events of the issuer-aggregation service',
  ledgerCommands: 'Commands to the conversion-ledger service',
  ledgerEvents: 'Events of the conversion-ledger service',
  settlementCommands: 'Commands to the bank-settlement service',
  settlementEvents: 'Events of the bank-settlement service',
  deadLetter: 'Dead letters',
};

const SCHEMAS = '#/components/schemas/';
const ref = (path: string) => ({ $ref: path });

function ownerOf(topic: TopicName): string {
  const owner = SERVICES.find((s) => topic.startsWith(s.owns));
  return owner ? owner.name : 'unknown';
}

function envelopeSchema(): JsonSchema {
  const { schema } = schemaOfClass(MessageEnvelope);
  const properties = schema.properties!;
  properties.id.description = 'Unique per message; consumers record it in their inbox, so a redelivery has no second effect.';
  properties.type.description = 'The message name (see each message); consumers reject types not in the contracts.';
  properties.version.description = 'The version of the message type; consumers reject versions they do not support.';
  properties.kind.description = 'command (imperative, answered with a reply when replyTo is set), event (past tense) or reply.';
  properties.correlationId.description = 'Shared by every message caused, directly or not, by one request.';
  properties.causationId.description = 'The id of the message that caused this one; on a reply, the id of the command.';
  properties.key.description = 'The Kafka message key: a person id, cash-out part id or operator key, so related messages stay in order.';
  properties.replyTo.description = 'The topic the reply to a command goes to (edge request-reply only).';
  properties.signature.description = '"keyId.mac": HMAC-SHA-256 over the canonical JSON of the rest of the envelope (keys sorted), with a key derived '
    + 'from the services\' key ring. Required on every type tagged sender:service or sender:operator; a consumer dead-letters such a message '
    + 'without a valid one as MESSAGE_NOT_AUTHENTIC.';
  properties.payload = { type: 'object', description: 'The message payload, validated by its type (see each message).' };
  return { type: 'object', description: 'Every message on every topic is a JSON envelope; the Kafka value is this JSON object.', ...schema };
}

/** The envelope of one message type, its payload the schema named `payload` (by default the type's own). */
function messageSchema(definition: Pick<MessageDefinition, 'type' | 'version' | 'kind'>, payload: string = definition.type): JsonSchema {
  return {
    allOf: [
      ref(`${SCHEMAS}Envelope`),
      {
        type: 'object',
        properties: {
          type: { const: definition.type },
          version: { const: definition.version },
          kind: { const: definition.kind },
          payload: ref(`${SCHEMAS}${payload}`),
        },
      },
    ],
  };
}

const HEADERS: JsonSchema = {
  type: 'object',
  properties: {
    'message-type': { type: 'string', description: 'The envelope type.' },
    'correlation-id': { type: 'string', description: 'The envelope correlationId.' },
  },
};

function channelMessages(topic: TopicName): Record<string, { $ref: string }> {
  return Object.fromEntries(MESSAGES.filter((m) => m.topic === topic).map((m) => [m.type, ref(`#/components/messages/${m.type}`)]));
}

function opMessages(channel: string, types: string[]): { $ref: string }[] {
  return types.map((t) => ref(`#/channels/${channel}/messages/${t}`));
}

const REPLY = {
  address: { location: '$message.payload#/replyTo', description: 'The caller\'s own reply topic, {prefix}.replies.{clientId}.' },
  channel: ref('#/channels/replies'),
  messages: [ref('#/channels/replies/messages/Reply')],
};

function operations(): Record<string, unknown> {
  const ops: Record<string, unknown> = {};
  const topics = Object.keys(TOPIC_SUFFIXES).filter((t) => t !== 'deadLetter') as TopicName[];
  for (const service of SERVICES) {
    for (const topic of service.consumes) {
      const types = MESSAGES.filter((m) => m.topic === topic).map((m) => m.type);
      if (types.length === 0) continue;
      const commands = topic.endsWith('Commands');
      ops[`${camel(service.name)}Receives${pascal(topic)}`] = {
        action: 'receive',
        channel: ref(`#/channels/${topic}`),
        title: `${service.name} consumes ${TOPIC_SUFFIXES[topic]}`,
        summary: commands
          ? `${service.name} handles these commands; a command with replyTo is answered on the caller's reply topic.`
          : `${service.name} reads this event topic and ignores the event types it has no handler for.`,
        messages: opMessages(topic, types),
        ...(commands ? { reply: REPLY } : {}),
      };
    }
    for (const topic of topics.filter((t) => t.endsWith('Events') && ownerOf(t) === service.name)) {
      const types = MESSAGES.filter((m) => m.topic === topic && !BROADCASTS[m.type]).map((m) => m.type);
      const broadcasts = MESSAGES.filter((m) => m.topic === topic && BROADCASTS[m.type]).map((m) => m.type);
      if (types.length > 0) {
        ops[`${camel(service.name)}Sends${pascal(topic)}`] = {
          action: 'send',
          channel: ref(`#/channels/${topic}`),
          title: `${service.name} publishes its events`,
          summary: 'Written to the transactional outbox with the state change and relayed to Kafka (idempotent producer, acks=all).',
          messages: opMessages(topic, types),
        };
      }
      if (broadcasts.length > 0) {
        ops[`${camel(service.name)}Broadcasts${pascal(topic)}`] = {
          action: 'send',
          channel: ref(`#/channels/${topic}`),
          title: `${service.name} tells every instance of another service about now`,
          summary: 'Signed, sent straight to Kafka (not through the outbox): a word about now is worthless later, and each holds only for a while after it is heard.',
          messages: opMessages(topic, broadcasts),
        };
      }
    }
    for (const [topic, types] of Object.entries(broadcastsReceivedBy(service.name))) {
      ops[`${camel(service.name)}Hears${pascal(topic)}`] = {
        action: 'receive',
        channel: ref(`#/channels/${topic}`),
        title: `every ${service.name} instance reads ${TOPIC_SUFFIXES[topic as TopicName]} with a consumer group of its own`,
        summary: 'From the latest offset; anything else on the topic is not for it and is skipped.',
        messages: opMessages(topic, types),
      };
    }
    for (const topic of topics.filter((t) => t.endsWith('Commands'))) {
      const types = MESSAGES.filter((m) => m.topic === topic && INTERNAL_COMMAND_SENDERS[m.type] === service.name).map((m) => m.type);
      if (types.length === 0) continue;
      ops[`${camel(service.name)}Sends${pascal(topic)}`] = {
        action: 'send',
        channel: ref(`#/channels/${topic}`),
        title: `${service.name} sends onto ${ownerOf(topic)}'s command stream`,
        summary: 'Sent through the outbox and signed; commands\' outcomes come back as the receiver\'s events, not as a reply.',
        messages: opMessages(topic, types),
      };
    }
    ops[`${camel(service.name)}SendsDeadLetters`] = {
      action: 'send',
      channel: ref('#/channels/deadLetter'),
      title: `${service.name} dead-letters what it cannot process`,
      summary: 'A message that fails validation, or keeps failing, with nobody to answer, goes here with its reason; it can be replayed once fixed.',
      messages: [ref('#/channels/deadLetter/messages/DeadLetter')],
    };
  }
  for (const topic of topics.filter((t) => t.endsWith('Commands'))) {
    const types = MESSAGES.filter((m) => m.topic === topic && m.kind === 'command' && !INTERNAL_COMMAND_SENDERS[m.type]).map((m) => m.type);
    if (types.length === 0) continue;
    ops[`clientSends${pascal(topic)}`] = {
      action: 'send',
      channel: ref(`#/channels/${topic}`),
      title: `The edge client (@pointsweep/client, the pointsweep CLI) sends commands to ${ownerOf(topic)}`,
      summary: 'Request-reply: each command carries replyTo, the client\'s own reply topic, and waits for the reply whose causationId is the command\'s id.',
      messages: opMessages(topic, types),
      reply: REPLY,
    };
  }
  ops.clientReceivesReplies = {
    action: 'receive',
    channel: ref('#/channels/replies'),
    title: 'The edge client reads its reply topic (its own consumer group)',
    messages: [ref('#/channels/replies/messages/Reply'), ref('#/channels/replies/messages/CashOutResolved')],
  };
  return ops;
}

/** The broadcast types a service reads, by topic. */
function broadcastsReceivedBy(service: string): Record<string, string[]> {
  const byTopic: Record<string, string[]> = {};
  for (const m of MESSAGES) if (BROADCASTS[m.type]?.receiver === service) (byTopic[m.topic] ??= []).push(m.type);
  return byTopic;
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function channels(): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [topic, suffix] of Object.entries(TOPIC_SUFFIXES) as [TopicName, string][]) {
    const dead = topic === 'deadLetter';
    result[topic] = {
      address: `{prefix}.${suffix}`,
      title: TOPIC_TITLES[topic],
      description: dead
        ? 'Messages that failed validation or kept failing, with the reason and the original bytes.'
        : topic.endsWith('Commands')
          ? `Commands handled by ${ownerOf(topic)}. Keys keep one person's (or one cash-out part's) commands in order.`
          : `Events published by ${ownerOf(topic)} through its transactional outbox.`,
      parameters: { prefix: ref('#/components/parameters/prefix') },
      messages: dead ? { DeadLetter: ref('#/components/messages/DeadLetter') } : channelMessages(topic),
    };
  }
  result.replies = {
    address: '{prefix}.replies.{clientId}',
    title: 'Replies to one edge client',
    description: 'Each client instance owns one reply topic and its own consumer group, so replies never reach another instance.',
    parameters: { prefix: ref('#/components/parameters/prefix'), clientId: ref('#/components/parameters/clientId') },
    messages: { Reply: ref('#/components/messages/Reply'), CashOutResolved: ref('#/components/messages/CashOutResolved') },
  };
  return result;
}

function replySchemas(): Record<string, JsonSchema> {
  return {
    ReplyError: {
      type: 'object',
      description: 'A refusal with a stable code (see ErrorCodes in @pointsweep/contracts).',
      properties: {
        code: { type: 'string', description: 'Stable, e.g. INSUFFICIENT_POINTS, DAILY_CASH_OUT_LIMIT, INVALID_MESSAGE.' },
        message: { type: 'string' },
        retriable: { type: 'boolean', description: 'Whether the same command may succeed if sent again later.' },
        retryAfterMs: {
          type: 'integer', minimum: 1000, maximum: 30000,
          description: 'With SERVICE_BUSY: the request was not taken (it waited past the admission limit, or the service\'s backlog of accepted work is full); send it again after this long.',
        },
      },
      required: ['code', 'message', 'retriable'],
      additionalProperties: false,
    },
    ReplyPayload: {
      type: 'object',
      description: 'ok with a result, or not ok with an error.',
      properties: {
        ok: { type: 'boolean' },
        result: { description: `The command's result: ${Object.entries(REPLY_RESULTS).map(([c, r]) => `${c} → ${r}`).join('; ')}.` },
        error: ref(`${SCHEMAS}ReplyError`),
      },
      required: ['ok'],
      additionalProperties: false,
    },
    ReplyEnvelope: {
      allOf: [
        ref(`${SCHEMAS}Envelope`),
        {
          type: 'object',
          properties: {
            type: { const: 'Reply' },
            version: { const: 1 },
            kind: { const: 'reply' },
            payload: ref(`${SCHEMAS}ReplyPayload`),
          },
          required: ['causationId'],
        },
      ],
    },
  };
}

/** CashOutView and CashOutPartView are result interfaces, not validated classes: their schema is written here. */
function cashOutResolvedSchemas(): Record<string, JsonSchema> {
  return {
    CashOutPartView: {
      type: 'object',
      properties: {
        partId: { type: 'string', format: 'uuid' },
        program: { type: 'string' },
        pointsRequested: { type: 'integer', minimum: 1 },
        pointsConsumed: { type: 'integer', minimum: 0 },
        won: { type: 'integer', minimum: 0 },
        state: { type: 'string', enum: [...CASH_OUT_PART_STATES] },
        failureCode: { type: 'string' },
        bankTransactionId: { type: 'string' },
        payoutFrom: { type: 'string', format: 'date-time', description: 'When a scheduled payout will be released.' },
      },
      required: ['partId', 'program', 'pointsRequested', 'pointsConsumed', 'won', 'state'],
      additionalProperties: false,
    },
    CashOutView: {
      type: 'object',
      properties: {
        cashOutId: { type: 'string', format: 'uuid' },
        requestId: { type: 'string' },
        acceptedAt: { type: 'string', format: 'date-time' },
        state: { type: 'string', enum: ['IN_PROGRESS', 'COMPLETED', 'PARTIALLY_FAILED', 'FAILED', 'NEEDS_REVIEW'] },
        parts: { type: 'array', items: ref(`${SCHEMAS}CashOutPartView`) },
      },
      required: ['cashOutId', 'requestId', 'acceptedAt', 'state', 'parts'],
      additionalProperties: false,
    },
    CashOutResolvedEnvelope: messageSchema(CASH_OUT_RESOLVED, 'CashOutView'),
  };
}

function deadLetterSchema(): JsonSchema {
  return {
    type: 'object',
    description: 'Not an envelope: the dead-letter record wraps the original bytes, which may not even be JSON.',
    properties: {
      reason: {
        type: 'object',
        properties: { code: { type: 'string' }, message: { type: 'string' }, retriable: { type: 'boolean' } },
        required: ['code', 'message', 'retriable'],
        additionalProperties: false,
      },
      consumer: { type: 'string', description: 'The consumer group that gave up on the message.' },
      source: {
        type: 'object',
        properties: {
          topic: { type: 'string' },
          partition: { type: 'integer', minimum: 0 },
          offset: { type: 'string', pattern: '^\\d+$', description: 'Kafka offsets are 64-bit: a decimal string.' },
        },
        required: ['topic', 'partition', 'offset'],
        additionalProperties: false,
      },
      attempts: { type: 'integer', minimum: 1 },
      failedAt: { type: 'string', format: 'date-time' },
      messageId: { type: 'string', format: 'uuid', description: 'The envelope id, when the message was a valid envelope.' },
      messageType: { type: 'string', description: 'The envelope type, when the message was a valid envelope.' },
      original: {
        oneOf: [{ type: 'string', description: 'The original Kafka value, base64; null when sealed or too large to keep.' }, { type: 'null' }],
      },
      sealedOriginal: {
        type: 'string',
        description: 'The original value (base64) sealed with the service\'s key ring, "keyId.iv.tag.ciphertext": it may be an edge command carrying personal data.',
      },
      originalBytes: { type: 'integer', minimum: 0, description: 'Size of the original value; kept even when the bytes are not.' },
      originalSha256: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the original value, hex.' },
    },
    required: ['reason', 'consumer', 'source', 'attempts', 'failedAt', 'original', 'originalBytes', 'originalSha256'],
    additionalProperties: false,
  };
}

function messages(): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const m of MESSAGES) {
    result[m.type] = {
      name: m.type,
      title: m.type,
      summary: m.description,
      contentType: 'application/json',
      tags: [{ name: m.kind }, { name: `v${m.version}` }, { name: `sender:${m.sender}` }],
      headers: HEADERS,
      payload: messageSchema(m),
      bindings: { kafka: { key: { type: 'string', description: 'The envelope key.' }, bindingVersion: '0.5.0' } },
      ...(m.kind === 'command' && REPLY_RESULTS[m.type] ? { description: `Reply result: ${REPLY_RESULTS[m.type]}.` } : {}),
    };
  }
  result.Reply = {
    name: 'Reply',
    title: 'Reply',
    summary: 'The answer to a command that carried replyTo: a result or a coded error.',
    contentType: 'application/json',
    tags: [{ name: 'reply' }, { name: 'v1' }],
    headers: HEADERS,
    payload: ref(`${SCHEMAS}ReplyEnvelope`),
    bindings: { kafka: { key: { type: 'string', description: 'The command\'s key.' }, bindingVersion: '0.5.0' } },
  };
  result.CashOutResolved = {
    name: CASH_OUT_RESOLVED.type,
    title: CASH_OUT_RESOLVED.type,
    summary: 'Pushed, unasked, to the reply topic of the client that sent a CashOut or ConfirmQuote once every part has its outcome for now '
      + '(PAID, FAILED, MANUAL_REVIEW, or SCHEDULED for the next business day); again whenever a later change leaves every part with an '
      + 'outcome once more. At-least-once; a client that did not send the cash-out is not told and polls GetCashOutStatus instead.',
    contentType: 'application/json',
    tags: [{ name: 'notice' }, { name: `v${CASH_OUT_RESOLVED.version}` }, { name: 'sender:service' }],
    headers: HEADERS,
    payload: ref(`${SCHEMAS}CashOutResolvedEnvelope`),
    bindings: { kafka: { key: { type: 'string', description: 'The person id.' }, bindingVersion: '0.5.0' } },
  };
  result.DeadLetter = {
    name: 'DeadLetter',
    title: 'DeadLetter',
    summary: 'A message no consumer could process, with the reason.',
    contentType: 'application/json',
    headers: { type: 'object', properties: { 'dead-letter-reason': { type: 'string', description: 'The reason code.' } } },
    payload: ref(`${SCHEMAS}DeadLetter`),
    bindings: { kafka: { key: { type: ['string', 'null'], description: 'The original message key.' }, bindingVersion: '0.5.0' } },
  };
  return result;
}

/** The whole AsyncAPI 3.0 document, built from the contracts (MESSAGES, TOPIC_SUFFIXES and the payload classes). */
export function buildAsyncApiDocument(version = '0.1.0'): Record<string, unknown> {
  const schemas: Record<string, JsonSchema> = { Envelope: envelopeSchema(), ...replySchemas(), ...cashOutResolvedSchemas(), DeadLetter: deadLetterSchema() };
  for (const m of MESSAGES) {
    const { schema, nested } = schemaOfClass(m.payload);
    if (schemas[m.type]) throw new Error(`schema name ${m.type} is used twice`);
    schemas[m.type] = { type: 'object', description: m.description, ...schema };
    for (const [name, nestedSchema] of nested) {
      if (schemas[name] && JSON.stringify(schemas[name]) !== JSON.stringify(nestedSchema)) throw new Error(`schema name ${name} is used twice`);
      schemas[name] = nestedSchema;
    }
  }
  const document = {
    asyncapi: '3.0.0',
    info: {
      title: 'Pointsweep messages',
      version,
      description: [
        'Every Kafka topic of Pointsweep and every message on it. GENERATED from @pointsweep/contracts',
        '(MESSAGES, TOPIC_SUFFIXES and the class-validator payload classes) by tools/cli/src/asyncapi/generate-asyncapi.ts;',
        'do not edit by hand: run `npx tsc -b tools/cli && node tools/cli/dist/asyncapi/generate-asyncapi.js`.',
        '\n\nEach Kafka value is a JSON envelope (components.schemas.Envelope) whose payload is validated by its type;',
        'consumers validate with whitelist and forbidNonWhitelisted, so payloads allow no other properties.',
        'Commands with replyTo are answered on the caller\'s reply topic; events are past tense, commands imperative.',
      ].join(' ').replace(/ ?\n\n ?/g, '\n\n'),
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: '127.0.0.1:9092',
        protocol: 'kafka',
        description: 'The local stack\'s broker (KAFKA_BROKERS). Topic names start with the environment\'s prefix (TOPIC_PREFIX).',
      },
    },
    channels: channels(),
    operations: operations(),
    components: {
      parameters: {
        prefix: { default: 'pointsweep', description: 'The topic prefix (TOPIC_PREFIX) that keeps environments and test files apart.' },
        clientId: { description: 'The edge client instance\'s id; each instance owns one reply topic.' },
      },
      schemas,
      messages: messages(),
    },
  };
  // Plain data without shared references, so the YAML has no anchors or aliases.
  return JSON.parse(JSON.stringify(document)) as Record<string, unknown>;
}
