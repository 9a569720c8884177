import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage } from 'class-validator';
import { parse } from 'yaml';
import { MessageEnvelope } from './envelope';
import { CASH_OUT_RESOLVED, MESSAGES } from './messages';
import { TOPIC_SUFFIXES, TopicName } from './topics';

/**
 * docs/asyncapi.yaml must describe exactly the contracts: every message of MESSAGES on its topic's channel, with its
 * version and kind, and every payload property the class-validator class declares, with the right required list.
 */
const DOCUMENT = resolve(__dirname, '../../../docs/asyncapi.yaml');
const REGENERATE = 'docs/asyncapi.yaml is out of date with @pointsweep/contracts. Regenerate it with:\n'
  + '  PATH=$PWD/node_modules/.bin:$PATH tsc -b tools/cli && node tools/cli/dist/asyncapi/generate-asyncapi.js\n'
  + 'and commit the result. Problems:';
/** Messages the document has that are not message types of MESSAGES (the request-reply answer, the ledger's notice, dead letters). */
const TRANSPORT_MESSAGES = ['Reply', CASH_OUT_RESOLVED.type, 'DeadLetter'];

type Schema = { $ref?: string; type?: string; properties?: Record<string, Schema>; required?: string[]; items?: Schema; allOf?: Schema[]; const?: unknown };
type Doc = {
  asyncapi: string;
  channels: Record<string, { address: string; messages?: Record<string, { $ref: string }> }>;
  operations: Record<string, { action: string; channel: { $ref: string }; messages?: { $ref: string }[] }>;
  components: { schemas: Record<string, Schema>; messages: Record<string, { name: string; payload: Schema }> };
};

const doc = parse(readFileSync(DOCUMENT, 'utf8')) as Doc;

type Constructor = new () => object;

/** Property names and required properties as class-validator sees them, and the classes nested properties hold. */
function declared(cls: Constructor): { properties: string[]; required: string[]; nested: Map<string, Constructor> } {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  const properties = [...new Set(metadata.map((m) => m.propertyName))];
  const optional = new Set(metadata.filter((m) => m.type === 'conditionalValidation').map((m) => m.propertyName));
  const nested = new Map<string, Constructor>();
  for (const m of metadata.filter((x) => x.type === 'nestedValidation')) {
    const instance = plainToInstance(cls, { [m.propertyName]: m.each ? [{}] : {} }) as Record<string, unknown>;
    const value = m.each ? (instance[m.propertyName] as unknown[])[0] : instance[m.propertyName];
    const ctor = (value as object).constructor as Constructor;
    if (ctor !== Object) nested.set(m.propertyName, ctor);
  }
  return { properties, required: properties.filter((p) => !optional.has(p)), nested };
}

function resolveRef(ref: string | undefined): Schema | undefined {
  const match = /^#\/components\/schemas\/(.+)$/.exec(ref ?? '');
  return match ? doc.components.schemas[match[1]] : undefined;
}

/** Compares a class with a schema, recursing into nested classes; returns what differs. */
function compareClass(cls: Constructor, schema: Schema | undefined, where: string): string[] {
  if (!schema) return [`${where}: no schema in components.schemas`];
  const want = declared(cls);
  const have = Object.keys(schema.properties ?? {});
  const problems: string[] = [];
  const missing = want.properties.filter((p) => !have.includes(p));
  const extra = have.filter((p) => !want.properties.includes(p));
  if (missing.length) problems.push(`${where}: properties missing from the schema: ${missing.join(', ')}`);
  if (extra.length) problems.push(`${where}: schema properties the class does not declare: ${extra.join(', ')}`);
  const required = [...(schema.required ?? [])].sort();
  if (JSON.stringify(required) !== JSON.stringify([...want.required].sort())) {
    problems.push(`${where}: required is [${required.join(', ')}], the class requires [${[...want.required].sort().join(', ')}]`);
  }
  for (const [property, inner] of want.nested) {
    const p = schema.properties?.[property];
    problems.push(...compareClass(inner, resolveRef(p?.items?.$ref ?? p?.$ref), `${where}.${property} (${inner.name})`));
  }
  return problems;
}

function check(problems: string[]): void {
  if (problems.length > 0) throw new Error(`${REGENERATE}\n  - ${problems.join('\n  - ')}`);
}

describe('docs/asyncapi.yaml', () => {
  it('is an AsyncAPI 3 document', () => {
    expect(doc.asyncapi).toMatch(/^3\.\d+\.\d+$/);
  });

  it('has one channel per topic, addressed by the prefix and the topic suffix', () => {
    const problems: string[] = [];
    for (const [topic, suffix] of Object.entries(TOPIC_SUFFIXES)) {
      const channel = doc.channels[topic];
      if (!channel) problems.push(`no channel ${topic}`);
      else if (channel.address !== `{prefix}.${suffix}`) problems.push(`channel ${topic} has address ${channel.address}, not {prefix}.${suffix}`);
    }
    const extra = Object.keys(doc.channels).filter((c) => !(c in TOPIC_SUFFIXES) && c !== 'replies');
    if (extra.length) problems.push(`channels for no topic: ${extra.join(', ')}`);
    check(problems);
  });

  it('describes every message of MESSAGES on its topic\'s channel, with its version, kind and payload properties', () => {
    const problems: string[] = [];
    for (const m of MESSAGES) {
      const message = doc.components.messages[m.type];
      if (!message) {
        problems.push(`${m.type} (${m.kind} on ${m.topic}) is in MESSAGES but not in the document`);
        continue;
      }
      if (message.name !== m.type) problems.push(`${m.type}: message name is ${message.name}`);
      const onChannel = doc.channels[m.topic]?.messages?.[m.type];
      if (onChannel?.$ref !== `#/components/messages/${m.type}`) problems.push(`${m.type}: not on channel ${m.topic}`);
      const others = Object.entries(doc.channels).filter(([c, ch]) => c !== m.topic && ch.messages?.[m.type]).map(([c]) => c);
      if (others.length) problems.push(`${m.type}: also on channels ${others.join(', ')}, but its topic is ${m.topic}`);
      const specific = message.payload.allOf?.find((s) => s.properties?.payload);
      const consts = specific?.properties ?? {};
      if (consts.type?.const !== m.type) problems.push(`${m.type}: envelope type const is ${String(consts.type?.const)}`);
      if (consts.version?.const !== m.version) problems.push(`${m.type}: version is ${String(consts.version?.const)}, the contracts say ${m.version}`);
      if (consts.kind?.const !== m.kind) problems.push(`${m.type}: kind is ${String(consts.kind?.const)}, the contracts say ${m.kind}`);
      if (!message.payload.allOf?.some((s) => s.$ref === '#/components/schemas/Envelope')) problems.push(`${m.type}: payload is not an Envelope`);
      problems.push(...compareClass(m.payload, resolveRef(consts.payload?.$ref), `${m.type} payload`));
    }
    check(problems);
  });

  it('lists no message the contracts lack', () => {
    const known = new Set([...MESSAGES.map((m) => m.type), ...TRANSPORT_MESSAGES]);
    const problems = Object.keys(doc.components.messages).filter((t) => !known.has(t)).map((t) => `message ${t} is not in MESSAGES`);
    for (const [name, channel] of Object.entries(doc.channels)) {
      for (const type of Object.keys(channel.messages ?? {})) {
        const definition = MESSAGES.find((m) => m.type === type);
        if (!known.has(type)) problems.push(`channel ${name} carries ${type}, which is not in MESSAGES`);
        else if (definition && definition.topic !== (name as TopicName)) problems.push(`channel ${name} carries ${type}, whose topic is ${definition.topic}`);
      }
    }
    for (const [id, operation] of Object.entries(doc.operations)) {
      for (const r of operation.messages ?? []) {
        const match = /^#\/channels\/([^/]+)\/messages\/(.+)$/.exec(r.$ref);
        if (!match || !doc.channels[match[1]]?.messages?.[match[2]]) problems.push(`operation ${id} refers to ${r.$ref}, which no channel has`);
        else if (operation.channel.$ref !== `#/channels/${match[1]}`) problems.push(`operation ${id} lists ${r.$ref} from another channel`);
      }
    }
    check(problems);
  });

  it('has the envelope, the reply and the dead letter', () => {
    const problems = compareClass(MessageEnvelope, doc.components.schemas.Envelope, 'Envelope');
    const reply = doc.components.schemas.ReplyPayload;
    const error = doc.components.schemas.ReplyError;
    if (!reply || !['ok', 'result', 'error'].every((p) => p in (reply.properties ?? {}))) problems.push('ReplyPayload lacks ok, result or error');
    if (!error || JSON.stringify(Object.keys(error.properties ?? {}).sort()) !== '["code","message","retriable","retryAfterMs"]') {
      problems.push('ReplyError is not {code, message, retriable, retryAfterMs?}');
    }
    if (JSON.stringify(error?.required) !== '["code","message","retriable"]') problems.push('ReplyError must require code, message and retriable only');
    const dead = doc.components.schemas.DeadLetter?.properties ?? {};
    for (const p of ['reason', 'consumer', 'source', 'attempts', 'failedAt', 'messageId', 'messageType', 'original']) {
      if (!(p in dead)) problems.push(`DeadLetter lacks ${p}`);
    }
    for (const p of ['topic', 'partition', 'offset']) if (!(p in (dead.source?.properties ?? {}))) problems.push(`DeadLetter.source lacks ${p}`);
    for (const p of ['code', 'message', 'retriable']) if (!(p in (dead.reason?.properties ?? {}))) problems.push(`DeadLetter.reason lacks ${p}`);
    if (!doc.channels.deadLetter?.messages?.DeadLetter) problems.push('the deadLetter channel does not carry DeadLetter');
    if (!doc.channels.replies?.messages?.Reply) problems.push('no replies channel carrying Reply');
    check(problems);
  });
});
