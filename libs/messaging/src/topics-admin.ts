import { Admin } from 'kafkajs';

/**
 * Creates topics and waits until every partition has a leader. kafkajs's own waitForLeaders gives up when a
 * KRaft broker briefly answers "does not host this topic-partition" for a topic it has just created.
 */
export async function createTopicsAndWait(admin: Admin, topics: { topic: string; numPartitions: number; replicationFactor?: number; configEntries?: { name: string; value: string }[] }[], timeoutMs = 30000): Promise<void> {
  if (topics.length === 0) return;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let delay = 50; Date.now() < deadline; delay = Math.min(1000, delay * 2)) {
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.topic));
      if (missing.length > 0) await admin.createTopics({ waitForLeaders: false, topics: missing });
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
      const ready = metadata.every((m) => m.partitions.length > 0 && m.partitions.every((p) => p.leader >= 0));
      if (ready) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, delay));
  }
  throw new Error(`topics ${topics.map((t) => t.topic).join(', ')} have no leaders after ${timeoutMs} ms: ${(lastError as Error)?.message ?? 'not ready'}`);
}
