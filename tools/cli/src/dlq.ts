import { Kafka, logLevel } from 'kafkajs';
import { topicsFor } from '@pointsweep/contracts';
import {
  DeadLetterRecord, DEFAULT_KEYS_FILE, idempotentProducer, loadKeyRing, readDeadLetters, ReplayOutcome, replayDeadLetters, Sealer, selectDeadLetters,
} from '@pointsweep/messaging';

/** What `pointsweep dlq` needs: read the dead-letter topic, and re-publish selected dead letters. */
export interface DeadLetterTool {
  list(options: { brokers: string[]; prefix: string; limit?: number }): Promise<DeadLetterRecord[]>;
  replay(options: { brokers: string[]; prefix: string; messageId?: string; fromTopic?: string }): Promise<ReplayOutcome[]>;
}

function kafkaFor(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'pointsweep-dlq', brokers, logLevel: logLevel.NOTHING });
}

/**
 * The real tool. Sealed originals are opened with the key ring from configuration (POINTSWEEP_KEYS or
 * POINTSWEEP_KEYS_FILE, default .secrets/dev-keys.json), the same the services use.
 */
export function deadLetterTool(env: Record<string, string | undefined>): DeadLetterTool {
  return {
    async list({ brokers, prefix, limit }) {
      return readDeadLetters(kafkaFor(brokers), topicsFor(prefix).deadLetter, { limit });
    },
    async replay({ brokers, prefix, messageId, fromTopic }) {
      const kafka = kafkaFor(brokers);
      const topic = topicsFor(prefix).deadLetter;
      const selected = selectDeadLetters(await readDeadLetters(kafka, topic), { messageId, fromTopic });
      if (selected.length === 0) return [];
      const needsKeys = selected.some((r) => r.deadLetter.sealedOriginal);
      const sealer = needsKeys ? new Sealer(loadKeyRing(env, DEFAULT_KEYS_FILE)) : undefined;
      const producer = idempotentProducer(kafka);
      await producer.connect();
      try {
        return await replayDeadLetters(producer, topic, selected, sealer);
      } finally {
        await producer.disconnect();
      }
    },
  };
}

export function formatDeadLetters(records: DeadLetterRecord[]): string {
  if (records.length === 0) return 'no dead letters';
  const lines = records.map((r) => {
    const d = r.deadLetter;
    return `${d.failedAt}  ${d.reason.code.padEnd(36)} ${(d.messageType ?? '-').padEnd(28)} ${d.messageId ?? '-'}  from ${d.source.topic}/${d.source.partition}@${d.source.offset}`
      + ` by ${d.consumer} after ${d.attempts} attempt(s): ${d.reason.message}`;
  });
  return [`${records.length} dead letter(s):`, ...lines].join('\n');
}

export function formatReplay(outcomes: ReplayOutcome[]): string {
  if (outcomes.length === 0) return 'no dead letter matched; nothing replayed';
  const done = outcomes.filter((o) => o.replayed).length;
  return [
    `replayed ${done} of ${outcomes.length} dead letter(s) to their source topics (consumers' inboxes absorb what was already processed):`,
    ...outcomes.map((o) => `  ${o.replayed ? 'replayed' : 'skipped '} ${o.messageId ?? '-'} → ${o.topic}${o.why ? ` (${o.why})` : ''}`),
  ].join('\n');
}
