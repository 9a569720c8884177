import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { JsonLog } from './log';

/** An answer with a stable code: rendered as `{ code, message }` with the given HTTP status. */
export class SimError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SimError';
  }
}

export const invalid = (message: string) => new SimError(400, 'INVALID_REQUEST', message);
export const notFound = (message: string, code = 'NOT_FOUND') => new SimError(404, code, message);

@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly log: JsonLog) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse();
    if (res.headersSent) return;
    if (error instanceof SimError) {
      res.status(error.status).json({ code: error.code, message: error.message });
      return;
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      const code = status === 404 ? 'NOT_FOUND' : status === 400 ? 'INVALID_REQUEST' : `HTTP_${status}`;
      res.status(status).json({ code, message: error.message });
      return;
    }
    this.log.error('unhandled error', { err: error instanceof Error ? error.message : String(error), stack: (error as Error)?.stack });
    res.status(500).json({ code: 'INTERNAL_ERROR', message: 'internal error' });
  }
}
