import { parseArgs } from 'node:util';
import { PROGRAM_CODES } from '@pointsweep/contracts';

/** A mistake in how the CLI was called: printed with its code, exit status 2. */
export class UsageError extends Error {
  readonly code = 'USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface GlobalOptions {
  brokers: string[];
  prefix: string;
  simulatorsUrl: string;
  json: boolean;
  sessionFile: string;
  timeoutMs: number;
  verbose: boolean;
}

export interface PartArg {
  program: string;
  points: number;
}

export type CliCommand =
  | { name: 'help'; topic?: string }
  | { name: 'verify'; code?: string; startOnly: boolean; person?: { name: string; birthDate: string; carrier: string; phone: string } }
  | { name: 'consent'; action: 'grant' | 'revoke'; issuers: string[] }
  | { name: 'accounts-register'; bankCode: string; accountNumber: string }
  | { name: 'lookup' }
  | { name: 'quote'; accountId?: string; parts: PartArg[] }
  | { name: 'cashout'; quoteId?: string; accountId?: string; parts: PartArg[]; requestId?: string }
  | { name: 'status'; cashOutId: string; wait: boolean }
  | { name: 'release-due'; operator: string }
  | { name: 'manual-review'; operator: string }
  | { name: 'audit'; databaseUrl: string; schema?: string; requireTerminal: boolean }
  | { name: 'dlq-list'; limit?: number }
  | { name: 'dlq-replay'; messageId?: string; fromTopic?: string };

export interface ParsedCommandLine {
  global: GlobalOptions;
  command: CliCommand;
}

export const DEFAULTS = {
  brokers: '127.0.0.1:9092',
  prefix: 'pointsweep',
  simulatorsUrl: 'http://127.0.0.1:4100',
  sessionFile: '.data/cli-session.json',
  timeoutSeconds: 30,
} as const;

const GLOBAL_OPTIONS = ['brokers', 'prefix', 'simulators', 'json', 'session', 'timeout', 'verbose', 'help'] as const;

/** Every option any command takes; each command says which of them it accepts. */
const OPTIONS = {
  brokers: { type: 'string' },
  prefix: { type: 'string' },
  simulators: { type: 'string' },
  json: { type: 'boolean' },
  session: { type: 'string' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  name: { type: 'string' },
  'birth-date': { type: 'string' },
  carrier: { type: 'string' },
  phone: { type: 'string' },
  code: { type: 'string' },
  'start-only': { type: 'boolean' },
  issuer: { type: 'string' },
  'bank-code': { type: 'string' },
  'account-number': { type: 'string' },
  account: { type: 'string' },
  part: { type: 'string', multiple: true },
  quote: { type: 'string' },
  'request-id': { type: 'string' },
  'cash-out': { type: 'string' },
  wait: { type: 'boolean' },
  operator: { type: 'string' },
  'database-url': { type: 'string' },
  schema: { type: 'string' },
  'require-terminal': { type: 'boolean' },
  verbose: { type: 'boolean' },
  limit: { type: 'string' },
  'message-id': { type: 'string' },
  'all-from-topic': { type: 'string' },
} as const;

type OptionName = keyof typeof OPTIONS;
type Values = { [K in OptionName]?: (typeof OPTIONS)[K] extends { multiple: true } ? string[] : (typeof OPTIONS)[K] extends { type: 'boolean' } ? boolean : string };

const COMMAND_OPTIONS: Record<string, readonly OptionName[]> = {
  verify: ['name', 'birth-date', 'carrier', 'phone', 'code', 'start-only'],
  consent: ['issuer'],
  'accounts-register': ['bank-code', 'account-number'],
  lookup: [],
  quote: ['account', 'part'],
  cashout: ['quote', 'account', 'part', 'request-id'],
  status: ['cash-out', 'wait'],
  'release-due': ['operator'],
  'manual-review': ['operator'],
  audit: ['database-url', 'schema', 'require-terminal'],
  'dlq-list': ['limit'],
  'dlq-replay': ['message-id', 'all-from-topic'],
  help: [],
};

export const USAGE = `Usage: pointsweep <command> [options]

Person (the session - person id and identity assertion - is kept in --session):
  verify --name NAME --birth-date YYYY-MM-DD --carrier SKT|KT|LGU|MVNO --phone 010XXXXXXXX
                      start a verification; reads the code from the simulator's inbox and confirms
         ... --start-only            only start it (the code goes to the phone); then
  verify --code 123456                confirm the started verification with the code
  consent grant|revoke --issuer ISSUER  (grant: several at once, --issuer KB,SHINHAN,HANA)
  accounts register --bank-code 020 --account-number 1002123456789
  lookup                               points of every consented program
  quote --account ID --part PROGRAM:POINTS [--part ...]
  cashout --quote ID [--request-id ID]
  cashout --account ID --part PROGRAM:POINTS [--part ...] [--request-id ID]
  status --cash-out ID [--wait]

Operator:
  release-due --operator NAME          release scheduled payouts now
  manual-review --operator NAME        cash-out parts no rule could settle
  audit --database-url URL [--schema ledger] [--require-terminal]
                                       check the ledger (read-only); exit status 1 when a check fails
  dlq list [--limit N]                 dead-lettered messages with their reasons (newest N)
  dlq replay --message-id ID | --all-from-topic TOPIC
                                       re-publish the original bytes to their source topic (idempotent:
                                       consumers' inboxes absorb what was already processed)

Global options (environment variable, default):
  --brokers HOST:PORT[,HOST:PORT]  (KAFKA_BROKERS, ${DEFAULTS.brokers})
  --prefix PREFIX                  (TOPIC_PREFIX, ${DEFAULTS.prefix})
  --simulators URL                 (SIMULATORS_URL, ${DEFAULTS.simulatorsUrl})
  --session FILE                   (POINTSWEEP_SESSION, ${DEFAULTS.sessionFile})
  --timeout SECONDS                reply timeout (${DEFAULTS.timeoutSeconds})
  --json                           print the raw result as JSON
  --verbose                        show the Kafka client's own error log

Exit status: 0 ok, 1 refused or failed (the error's code is printed), 2 usage error.
Programs: ${PROGRAM_CODES.join(', ')}`;

function required(values: Values, option: 'name' | 'birth-date' | 'carrier' | 'phone' | 'issuer' | 'bank-code' | 'account-number' | 'cash-out' | 'operator' | 'database-url', command: string): string {
  const value = values[option];
  if (value === undefined || value === '') throw new UsageError(`${command} needs --${option}`);
  return value;
}

/** PROGRAM:POINTS, e.g. HYUNDAI_M:300. Program codes are case-insensitive; points are a positive whole number. */
export function parsePart(text: string): PartArg {
  const match = /^([A-Za-z_]+):(\d+)$/.exec(text.trim());
  if (!match) throw new UsageError(`--part must be PROGRAM:POINTS (e.g. HYUNDAI_M:300), not "${text}"`);
  const program = match[1].toUpperCase();
  if (!PROGRAM_CODES.includes(program)) throw new UsageError(`unknown program ${match[1]}; programs: ${PROGRAM_CODES.join(', ')}`);
  const points = Number(match[2]);
  if (!Number.isSafeInteger(points) || points < 1) throw new UsageError(`--part ${text}: points must be a whole number of at least 1`);
  return { program, points };
}

export function parseParts(texts: string[] | undefined): PartArg[] {
  const parts = (texts ?? []).map(parsePart);
  const seen = new Set<string>();
  for (const part of parts) {
    if (seen.has(part.program)) throw new UsageError(`--part ${part.program} is given twice; one part per program`);
    seen.add(part.program);
  }
  return parts;
}

function parseBrokers(text: string): string[] {
  const brokers = text.split(',').map((b) => b.trim()).filter((b) => b.length > 0);
  if (brokers.length === 0 || brokers.some((b) => !/^[^\s:]+:\d{1,5}$/.test(b))) {
    throw new UsageError(`--brokers must be HOST:PORT[,HOST:PORT...], not "${text}"`);
  }
  return brokers;
}

function parseTimeout(text: string | undefined): number {
  if (text === undefined) return DEFAULTS.timeoutSeconds * 1000;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) throw new UsageError(`--timeout must be seconds between 0 and 3600, not "${text}"`);
  return Math.round(seconds * 1000);
}

function globalOptions(values: Values, env: Record<string, string | undefined>): GlobalOptions {
  const simulatorsUrl = (values.simulators ?? env.SIMULATORS_URL ?? DEFAULTS.simulatorsUrl).replace(/\/+$/, '');
  if (!/^https?:\/\/\S+$/.test(simulatorsUrl)) throw new UsageError(`--simulators must be an http(s) URL, not "${simulatorsUrl}"`);
  const prefix = values.prefix ?? env.TOPIC_PREFIX ?? DEFAULTS.prefix;
  if (!/^[a-zA-Z0-9._-]{1,100}$/.test(prefix)) throw new UsageError(`--prefix may hold letters, digits, ".", "_" and "-" only, not "${prefix}"`);
  return {
    brokers: parseBrokers(values.brokers ?? env.KAFKA_BROKERS ?? DEFAULTS.brokers),
    prefix,
    simulatorsUrl,
    json: values.json ?? false,
    sessionFile: values.session ?? env.POINTSWEEP_SESSION ?? DEFAULTS.sessionFile,
    timeoutMs: parseTimeout(values.timeout),
    verbose: values.verbose ?? false,
  };
}

/** Which command the positionals name: `accounts register` is one command. */
function commandName(positionals: string[]): { name: string; rest: string[] } {
  const [first, ...rest] = positionals;
  if (first === 'dlq') {
    const [sub, ...more] = rest;
    if (sub !== 'list' && sub !== 'replay') throw new UsageError(`dlq takes list or replay${sub ? `, not "${sub}"` : ''}`);
    return { name: `dlq-${sub}`, rest: more };
  }
  if (first === 'accounts') {
    const [sub, ...more] = rest;
    if (sub !== 'register') throw new UsageError(`accounts takes one subcommand: register${sub ? `, not "${sub}"` : ''}`);
    return { name: 'accounts-register', rest: more };
  }
  return { name: first, rest };
}

/**
 * Parses the command line (argv without node and script) and the environment into a command; pure.
 * Throws a UsageError saying what is wrong.
 */
export function parseCommandLine(argv: string[], env: Record<string, string | undefined> = {}): ParsedCommandLine {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }) as { values: Values; positionals: string[] };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const global = globalOptions(values, env);
  if (positionals.length === 0 || positionals[0] === 'help' || values.help) {
    return { global, command: { name: 'help', topic: positionals[0] === 'help' ? positionals[1] : positionals[0] } };
  }
  const { name, rest } = commandName(positionals);
  const allowed = COMMAND_OPTIONS[name];
  if (!allowed) throw new UsageError(`unknown command "${positionals[0]}"; run pointsweep help`);
  for (const option of Object.keys(values) as OptionName[]) {
    if (!allowed.includes(option) && !(GLOBAL_OPTIONS as readonly string[]).includes(option)) {
      throw new UsageError(`${name.replace('-register', ' register').replace(/^dlq-/, 'dlq ')} does not take --${option}`);
    }
  }
  const positionalsAllowed = name === 'consent' ? 1 : 0;
  if (rest.length > positionalsAllowed) throw new UsageError(`unexpected argument "${rest[positionalsAllowed]}"`);
  return { global, command: commandFrom(name, rest, values) };
}

function commandFrom(name: string, rest: string[], values: Values): CliCommand {
  switch (name) {
    case 'verify': {
      const startOnly = values['start-only'] ?? false;
      const personGiven = ['name', 'birth-date', 'carrier', 'phone'].some((o) => values[o as OptionName] !== undefined);
      if (values.code !== undefined && !/^\d{6}$/.test(values.code)) throw new UsageError('--code must be six digits');
      if (values.code !== undefined && (personGiven || startOnly)) {
        throw new UsageError('verify --code confirms the verification started before (with --start-only); give it alone');
      }
      if (values.code !== undefined) return { name, code: values.code, startOnly: false };
      const person = {
        name: required(values, 'name', 'verify'),
        birthDate: required(values, 'birth-date', 'verify'),
        carrier: required(values, 'carrier', 'verify').toUpperCase(),
        phone: required(values, 'phone', 'verify').replace(/[\s-]/g, ''),
      };
      return { name, person, startOnly };
    }
    case 'consent': {
      const action = rest[0];
      if (action !== 'grant' && action !== 'revoke') throw new UsageError('consent takes grant or revoke: pointsweep consent grant --issuer KB');
      const issuers = required(values, 'issuer', 'consent').split(',').map((i) => i.trim().toUpperCase()).filter((i) => i.length > 0);
      if (issuers.length === 0) throw new UsageError('consent needs --issuer: pointsweep consent grant --issuer KB');
      if (action === 'revoke' && issuers.length > 1) throw new UsageError('consent revoke takes one card company at a time');
      return { name, action, issuers };
    }
    case 'accounts-register':
      return {
        name,
        bankCode: required(values, 'bank-code', 'accounts register'),
        accountNumber: required(values, 'account-number', 'accounts register').replace(/[\s-]/g, ''),
      };
    case 'lookup':
      return { name };
    case 'quote': {
      const parts = parseParts(values.part);
      if (parts.length === 0) throw new UsageError('quote needs at least one --part PROGRAM:POINTS');
      return { name, accountId: values.account, parts };
    }
    case 'cashout': {
      const parts = parseParts(values.part);
      if (values.quote !== undefined && (parts.length > 0 || values.account !== undefined)) {
        throw new UsageError('cashout takes either --quote ID or --account ID with --part, not both');
      }
      if (values.quote === undefined && parts.length === 0) throw new UsageError('cashout needs --quote ID, or --part PROGRAM:POINTS (with --account ID)');
      const requestId = values['request-id'];
      if (requestId !== undefined && !/^[\x21-\x7e]{8,64}$/.test(requestId)) throw new UsageError('--request-id must be 8-64 printable characters');
      return { name, quoteId: values.quote, accountId: values.account, parts, requestId };
    }
    case 'status':
      return { name, cashOutId: required(values, 'cash-out', 'status'), wait: values.wait ?? false };
    case 'release-due':
    case 'manual-review':
      return { name, operator: required(values, 'operator', name) };
    case 'audit':
      return { name, databaseUrl: required(values, 'database-url', 'audit'), schema: values.schema, requireTerminal: values['require-terminal'] ?? false };
    case 'dlq-list': {
      if (values.limit === undefined) return { name };
      const limit = Number(values.limit);
      if (!Number.isSafeInteger(limit) || limit < 1) throw new UsageError(`--limit must be a whole number of at least 1, not "${values.limit}"`);
      return { name, limit };
    }
    case 'dlq-replay': {
      const messageId = values['message-id'];
      const fromTopic = values['all-from-topic'];
      if ((messageId === undefined) === (fromTopic === undefined)) throw new UsageError('dlq replay takes either --message-id ID or --all-from-topic TOPIC');
      if (messageId !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(messageId)) throw new UsageError('--message-id must be a message id (uuid)');
      if (fromTopic !== undefined && !/^[a-zA-Z0-9._-]{1,249}$/.test(fromTopic)) throw new UsageError(`--all-from-topic must be a topic name, not "${fromTopic}"`);
      return { name, messageId, fromTopic };
    }
    default:
      return { name: 'help' };
  }
}
