import { setTimeout as delay } from 'node:timers/promises';

/** Non-blocking delays (injected latency, hanging bank calls) that are all cut short when the simulators close. */
export class Sleeper {
  private readonly controller = new AbortController();

  async sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.controller.signal.aborted) return;
    try {
      await delay(ms, undefined, { signal: this.controller.signal });
    } catch {
      // aborted on close: answer now
    }
  }

  abortAll(): void {
    this.controller.abort();
  }
}
