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
    /**
     * Ticks start at least this far apart, kicks or not: under load the work that arrives meanwhile is taken in one
     * tick instead of one tick each (as a producer's linger). A kick after a quiet spell still runs at once.
     */
    private readonly minSpacingMs = 0,
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
    let lastStart = -Infinity;
    while (this.running) {
      const spacing = lastStart + this.minSpacingMs - performance.now();
      if (spacing > 0) await this.pause(Math.ceil(spacing), false);
      if (!this.running) break;
      lastStart = performance.now();
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
      await this.pause(idle, true);
    }
  }

  /** Waits; a stop always ends the wait, a kick only when `kickable`. */
  private async pause(ms: number, kickable: boolean): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        if (kickable || !this.running) {
          clearTimeout(timer);
          resolve();
        }
      };
    });
    this.wake = undefined;
  }
}
