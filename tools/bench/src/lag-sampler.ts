import { Admin, Kafka, logLevel } from 'kafkajs';

export const SERVICE_NAMES = ['identity', 'issuer-aggregation', 'conversion-ledger', 'bank-settlement'] as const;

export interface LagFigures {
  /** Per consumer group `${prefix}.${service}`: the largest single-partition lag and the largest total lag seen. */
  groups: { group: string; maxPartitionLag: number; maxTotalLag: number }[];
  /** Largest `pointsweep_consumer_lag_max` each service's /metrics reported (only when metrics URLs were given). */
  metrics: { service: string; maxReported: number }[];
  samples: number;
}

/**
 * Computes consumer lag from the broker (committed offset per group vs the partitions' high-water marks, with
 * kafkajs admin), and reads each service's own gauge from /metrics when it has an HTTP port, every interval.
 */
export class LagSampler {
  private admin?: Admin;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private samples = 0;
  private readonly groups = new Map<string, { maxPartitionLag: number; maxTotalLag: number }>();
  private readonly metrics = new Map<string, number>();

  constructor(
    private readonly brokers: string[],
    private readonly prefix: string,
    private readonly metricsUrls: Record<string, string> = {},
    private readonly intervalMs = 2000,
  ) {
    for (const s of SERVICE_NAMES) this.groups.set(`${prefix}.${s}`, { maxPartitionLag: 0, maxTotalLag: 0 });
  }

  async start(): Promise<void> {
    const kafka = new Kafka({ clientId: `bench-lag-${process.pid}`, brokers: this.brokers, logLevel: logLevel.NOTHING });
    this.admin = kafka.admin();
    await this.admin.connect();
    const tick = () => {
      if (this.running) return; // never pile up samples when the broker is slow
      this.running = this.sample().finally(() => (this.running = undefined));
    };
    tick();
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.admin?.disconnect();
    this.admin = undefined;
  }

  private async sample(): Promise<void> {
    const admin = this.admin;
    if (!admin) return;
    const high = new Map<string, Map<number, number>>();
    const highOf = async (topic: string) => {
      if (!high.has(topic)) {
        const offsets = await admin.fetchTopicOffsets(topic);
        high.set(topic, new Map(offsets.map((o) => [o.partition, Number(o.high)])));
      }
      return high.get(topic)!;
    };
    try {
      for (const [group, seen] of this.groups) {
        const committed = await admin.fetchOffsets({ groupId: group });
        let total = 0;
        for (const t of committed) {
          if (t.topic.includes('.replies.')) continue;
          const h = await highOf(t.topic);
          for (const p of t.partitions) {
            const end = h.get(p.partition) ?? 0;
            const at = Number(p.offset);
            const lag = at < 0 ? 0 : Math.max(0, end - at); // -1: nothing committed yet (the group reads from its start)
            total += lag;
            seen.maxPartitionLag = Math.max(seen.maxPartitionLag, lag);
          }
        }
        seen.maxTotalLag = Math.max(seen.maxTotalLag, total);
      }
      for (const [service, url] of Object.entries(this.metricsUrls)) {
        const text = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) }).then((r) => r.text());
        const m = /^pointsweep_consumer_lag_max(?:\{[^}]*\})?\s+([0-9.e+]+)/m.exec(text);
        if (m) this.metrics.set(service, Math.max(this.metrics.get(service) ?? 0, Number(m[1])));
      }
      this.samples++;
    } catch {
      /* a missed sample is not a failure of the run; the count of samples shows it */
    }
  }

  figures(): LagFigures {
    return {
      groups: [...this.groups.entries()].map(([group, g]) => ({ group, ...g })),
      metrics: [...this.metrics.entries()].map(([service, maxReported]) => ({ service, maxReported })),
      samples: this.samples,
    };
  }
}
