import { JsonLogger } from './logger';

/**
 * Runs `tick` again and again: at once while it reports more work, after `idleMs` when idle, with a growing
 * back-off after failures, and at once when kicked. Used by the outbox relay and workers that poll the database.
 */
export class PollingLoop {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private kicked = false;
  lastError?: string;

  constructor(
    private readonly name: string,
    private readonly tick: () => Promise<boolean>,
    private readonly logger: JsonLogger,
    private readonly idleMs = 250,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.loop = undefined;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        this.kicked = false;
        const more = await this.tick();
        failures = 0;
        this.lastError = undefined;
        if (more) continue;
      } catch (error) {
        failures++;
        this.lastError = (error as Error).message;
        this.logger.warn(`${this.name} failed; will retry`, { error, failures });
      }
      if (!this.running) break;
      if (this.kicked) continue;
      const idle = failures > 0 ? Math.min(5000, this.idleMs * 2 ** failures) : this.idleMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, idle);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
