import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { catchError, from, mergeMap, Observable } from 'rxjs';
import { Store } from './store';

/**
 * Holds every answer, success or error, until all changes applied before it are durable: an answer may rest on a
 * change another request made a moment ago (a repeated redemption, an idempotency conflict), not only its own.
 */
@Injectable()
export class DurableAnswers implements NestInterceptor {
  constructor(private readonly store: Store) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      mergeMap((answer) => from(this.store.durable().then(() => answer))),
      catchError((error: unknown) => from(this.store.durable().then(() => Promise.reject(error), () => Promise.reject(error)))),
    );
  }
}
