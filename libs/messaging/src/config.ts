import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Clock, clockFromConfig } from './clock';
import { generateKeyRing, KeyRing } from './security';

export interface ServiceConfig {
  kafkaBrokers: string[];
  topicPrefix: string;
  databaseUrl: string;
  httpPort: number;
  simulatorsUrl: string;
  clock: Clock;
  keys: KeyRing;
  /** How long the group waits for a silent consumer (one killed with -9) before giving its partitions to others. */
  consumerSessionTimeoutMs?: number;
  /**
   * Admission: a request (a command with replyTo) that waited in its topic longer than this is answered
   * SERVICE_BUSY with a retry-after instead of being taken, so a surge cannot build a queue nobody waits for.
   */
  admissionMaxQueueMs?: number;
  /** The shorter limit for requests that bring a new person in (ServiceDefinition.entryRequests); default a quarter of the above. */
  entryMaxQueueMs?: number;
}

export const DEFAULT_ADMISSION_MAX_QUEUE_MS = 2000;

type Env = Record<string, string | undefined>;

/** Where the embedded defaults keep the development key ring (git-ignored), relative to the checkout. */
export const DEFAULT_KEYS_FILE = '.secrets/dev-keys.json';

/**
 * Secrets come from configuration: POINTSWEEP_KEYS (JSON) or the file POINTSWEEP_KEYS_FILE.
 * The embedded defaults generate development keys on first start into a git-ignored file.
 */
export function loadKeyRing(env: Env, defaultFile: string): KeyRing {
  const existing = existingKeyRing(env, defaultFile);
  if (existing) return existing;
  const file = env.POINTSWEEP_KEYS_FILE ?? defaultFile;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(generateKeyRing(), null, 2), { mode: 0o600, flag: 'wx' });
  return JSON.parse(readFileSync(file, 'utf8')) as KeyRing;
}

/** The key ring if one is configured or already on disk; never creates one (for tools, which must share the services'). */
export function existingKeyRing(env: Env, defaultFile: string): KeyRing | undefined {
  if (env.POINTSWEEP_KEYS) return JSON.parse(env.POINTSWEEP_KEYS) as KeyRing;
  const file = env.POINTSWEEP_KEYS_FILE ?? defaultFile;
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as KeyRing) : undefined;
}

export function serviceConfigFromEnv(env: Env, defaults: { httpPort: number; databaseUrl: string }): ServiceConfig {
  return {
    kafkaBrokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    topicPrefix: env.TOPIC_PREFIX ?? 'pointsweep',
    databaseUrl: env.DATABASE_URL ?? defaults.databaseUrl,
    httpPort: Number(env.HTTP_PORT ?? defaults.httpPort),
    simulatorsUrl: env.SIMULATORS_URL ?? 'http://127.0.0.1:4100',
    clock: clockFromConfig(env),
    keys: loadKeyRing(env, DEFAULT_KEYS_FILE),
    consumerSessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS ? Number(env.KAFKA_SESSION_TIMEOUT_MS) : undefined,
    admissionMaxQueueMs: env.ADMISSION_MAX_QUEUE_MS ? Number(env.ADMISSION_MAX_QUEUE_MS) : undefined,
    entryMaxQueueMs: env.ENTRY_MAX_QUEUE_MS ? Number(env.ENTRY_MAX_QUEUE_MS) : undefined,
  };
}
