/** Structured JSON logs, one object per line, always with the service name and, when known, the correlation id. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export class JsonLogger {
  constructor(
    private readonly service: string,
    private readonly minLevel: LogLevel = (process.env.LOG_LEVEL as LogLevel) || 'info',
    private readonly base: Record<string, unknown> = {},
  ) {}

  child(fields: Record<string, unknown>): JsonLogger {
    return new JsonLogger(this.service, this.minLevel, { ...this.base, ...fields });
  }

  debug(msg: string, fields?: Record<string, unknown>): void { this.write('debug', msg, fields); }
  info(msg: string, fields?: Record<string, unknown>): void { this.write('info', msg, fields); }
  warn(msg: string, fields?: Record<string, unknown>): void { this.write('warn', msg, fields); }
  error(msg: string, fields?: Record<string, unknown>): void { this.write('error', msg, fields); }

  private write(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (ORDER[level] < ORDER[this.minLevel]) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level, service: this.service, msg, ...this.base, ...fields }, replacer);
    pendingLines[level === 'error' || level === 'warn' ? 'stderr' : 'stdout'].push(line + '\n');
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushLogLines);
    }
  }
}

// Lines go out once per turn of the event loop, all of a turn's lines to a stream in one write: stdout and stderr on
// a pipe are written synchronously, one system call per write, and at 300 lookups/s the calls alone were about a
// twentieth of a service's CPU. Keeping the order across the two streams would cost a write per change of stream
// (with a card company down, nearly one per line again); whoever reads two pipes never had that order anyway, and
// every line carries its time. What is pending at exit is written then.
const pendingLines = { stdout: [] as string[], stderr: [] as string[] };
let flushScheduled = false;

export function flushLogLines(): void {
  flushScheduled = false;
  for (const stream of ['stdout', 'stderr'] as const) {
    const lines = pendingLines[stream];
    if (lines.length === 0) continue;
    pendingLines[stream] = [];
    process[stream].write(lines.length === 1 ? lines[0] : lines.join(''));
  }
}

process.on('exit', flushLogLines);

const SENSITIVE_KEYS = /^(personName|holderName|phone|accountNumber|birthDate|oneTimeCode|assertion)$/i;

/** Personal data never reaches a log line: masked by key name wherever it appears. */
function replacer(key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, code: (value as { code?: string }).code };
  if (typeof value === 'string' && SENSITIVE_KEYS.test(key)) return maskValue(value);
  return value;
}

export function maskValue(value: string): string {
  if (value.length <= 4) return '*'.repeat(value.length);
  return '*'.repeat(value.length - 4) + value.slice(-4);
}

/**
 * kafkajs logs through our JSON logger. Its ERROR lines are mostly retried protocol hiccups (a new topic's leader
 * not elected yet, a coordinator loading), which it retries itself: those are warnings, not errors.
 */
export function kafkaLogCreator(logger: JsonLogger) {
  return () =>
    ({ level, log }: { level: number; log: { message: string; error?: string; [k: string]: unknown } }) => {
      const { message, timestamp: _t, logger: _l, ...fields } = log;
      const retried = /not the leader|coordinator is (loading|not available)|no leader|leadership election/i.test(String(log.error ?? ''));
      if (level <= 2 && !retried) logger.warn(`kafkajs: ${message}`, fields);
      else if (process.env.LOG_LEVEL === 'debug') logger.debug(`kafkajs: ${message}`, fields);
    };
}
