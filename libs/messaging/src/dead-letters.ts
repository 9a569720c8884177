import { randomUUID } from 'node:crypto';
import { Kafka, Producer } from 'kafkajs';
import { Sealer } from './security';
import type { DeadLetter } from './transport';

/** Header a replayed message carries: where its dead letter was (topic:partition:offset). */
export const REPLAY_HEADER = 'pointsweep-replay-of';

export interface DeadLetterRecord {
  partition: number;
  offset: string;
  key: string | null;
  deadLetter: DeadLetter;
}

/**
 * Reads the dead-letter topic from its start to its current end (a throw-away consumer group, no commits).
 * Returns the newest `limit` records (all when no limit), oldest first.
 */
export async function readDeadLetters(kafka: Kafka, topic: string, options: { limit?: number; timeoutMs?: number } = {}): Promise<DeadLetterRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `dead-letter-reader-${randomUUID()}`;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const remaining = new Map(offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]));
    if (remaining.size === 0) return [];
    const records: DeadLetterRecord[] = [];
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`could not read ${topic} to its end within ${options.timeoutMs ?? 30000} ms`)), options.timeoutMs ?? 30000);
        void consumer.run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const high = remaining.get(partition);
            if (high === undefined || BigInt(message.offset) >= high) return;
            try {
              records.push({ partition, offset: message.offset, key: message.key?.toString() ?? null, deadLetter: JSON.parse(message.value?.toString() ?? 'null') });
            } catch {
              // Not a dead letter we wrote; shown as such rather than hidden.
              records.push({ partition, offset: message.offset, key: null, deadLetter: unreadable(message.value) });
            }
            if (BigInt(message.offset) + 1n >= high) remaining.delete(partition);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        }).catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    records.sort((a, b) => a.deadLetter.failedAt.localeCompare(b.deadLetter.failedAt) || a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
    return options.limit !== undefined ? records.slice(Math.max(0, records.length - options.limit)) : records;
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

function unreadable(value: Buffer | null): DeadLetter {
  return {
    reason: { code: 'UNREADABLE_DEAD_LETTER', message: 'the dead-letter record is not JSON', retriable: false },
    consumer: '?', source: { topic: '?', partition: -1, offset: '-1' }, attempts: 0, failedAt: '', original: null,
    originalBytes: value?.length ?? 0, originalSha256: '',
  };
}

/** Selects dead letters by the id of the message they hold, or all that came from one topic. */
export function selectDeadLetters(records: DeadLetterRecord[], by: { messageId?: string; fromTopic?: string }): DeadLetterRecord[] {
  if (by.messageId) return records.filter((r) => r.deadLetter.messageId === by.messageId);
  if (by.fromTopic) return records.filter((r) => r.deadLetter.source.topic === by.fromTopic);
  return [];
}

/** The original bytes of a dead letter: plain, or opened with the key ring; null when they were not kept. */
export function originalBytes(deadLetter: DeadLetter, sealer?: Sealer): Buffer | null {
  if (deadLetter.original) return Buffer.from(deadLetter.original, 'base64');
  if (deadLetter.sealedOriginal) {
    if (!sealer) throw new Error('the dead letter is sealed: the key ring (POINTSWEEP_KEYS or POINTSWEEP_KEYS_FILE) is needed to replay it');
    return Buffer.from(sealer.open(deadLetter.sealedOriginal), 'base64');
  }
  return null;
}

export interface ReplayOutcome {
  partition: number;
  offset: string;
  messageId?: string;
  topic: string;
  replayed: boolean;
  why?: string;
}

/**
 * Re-publishes each dead letter's original bytes, unchanged, to the topic it came from, with its original key and
 * the REPLAY_HEADER. Idempotent by the consumers' inboxes: the bytes keep their envelope id, so a message that was
 * already processed is absorbed; a message that was refused may replace its refusal once, and a second replay of it
 * is absorbed as a redelivery.
 */
export async function replayDeadLetters(
  producer: Producer,
  deadLetterTopic: string,
  records: DeadLetterRecord[],
  sealer?: Sealer,
): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = [];
  for (const record of records) {
    const { deadLetter } = record;
    const base = { partition: record.partition, offset: record.offset, messageId: deadLetter.messageId, topic: deadLetter.source.topic };
    const bytes = originalBytes(deadLetter, sealer);
    if (!bytes) {
      outcomes.push({ ...base, replayed: false, why: `the original was not kept (${deadLetter.originalBytes} bytes)` });
      continue;
    }
    await producer.send({
      topic: deadLetter.source.topic,
      acks: -1,
      messages: [{ key: record.key, value: bytes, headers: { [REPLAY_HEADER]: `${deadLetterTopic}:${record.partition}:${record.offset}` } }],
    });
    outcomes.push({ ...base, replayed: true });
  }
  return outcomes;
}
