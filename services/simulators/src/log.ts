import type { LoggerService } from '@nestjs/common';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/**
 * One JSON object per line. Callers pass ids and masked values only: never names or phone numbers,
 * and account numbers through maskAccount().
 */
export class JsonLog {
  constructor(
    readonly level: LogLevel = 'info',
    private readonly fields: Record<string, unknown> = { service: 'simulators' },
  ) {}

  child(fields: Record<string, unknown>): JsonLog {
    return new JsonLog(this.level, { ...this.fields, ...fields });
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.write('debug', msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.write('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.write('warn', msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.write('error', msg, fields);
  }

  private write(level: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>): void {
    if (RANK[level] < RANK[this.level]) return;
    process.stdout.write(JSON.stringify({ level, msg, time: new Date().toISOString(), ...this.fields, ...fields }) + '\n');
  }
}

/** Keeps the last 4 characters: '1234567890' → '******7890'. */
export function maskAccount(accountNumber: string): string {
  const s = String(accountNumber);
  return s.length <= 4 ? '*'.repeat(s.length) : '*'.repeat(s.length - 4) + s.slice(-4);
}

/** Routes Nest's own log lines into the JSON log (its chatter at debug level). */
export class NestLogBridge implements LoggerService {
  constructor(private readonly out: JsonLog) {}
  log(message: unknown, context?: string): void {
    this.out.debug(String(message), { context });
  }
  debug(message: unknown, context?: string): void {
    this.out.debug(String(message), { context });
  }
  verbose(message: unknown, context?: string): void {
    this.out.debug(String(message), { context });
  }
  warn(message: unknown, context?: string): void {
    this.out.warn(String(message), { context });
  }
  error(message: unknown, stack?: string, context?: string): void {
    this.out.error(String(message), { context, stack });
  }
  fatal(message: unknown, stack?: string, context?: string): void {
    this.out.error(String(message), { context, stack, fatal: true });
  }
}
