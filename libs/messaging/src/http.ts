import { Agent, request } from 'undici';
import { PointsweepError } from '@pointsweep/contracts';

export interface HttpResult<T = any> {
  status: number;
  body: T;
}

// Connections to the card companies and the bank are kept open and reused: a lookup makes up to 11 calls. An idle
// connection is dropped after at most 4 s, sooner when the server says in its Keep-Alive header that it closes
// sooner (undici keeps a margin of 2 s), so a server's keep-alive timeout rarely closes one under us.
const dispatcher = new Agent({ keepAliveTimeout: 4000, keepAliveMaxTimeout: 4000 });

/**
 * JSON over HTTP to the outside world (card companies, the bank), with a hard timeout that aborts the request.
 * A network error or timeout is an UNKNOWN outcome, reported as a retriable error with code OUTCOME_UNKNOWN.
 *
 * undici rather than node:http (or fetch): at 300 lookups/s node:http's request objects and socket plumbing were
 * about a fifth of issuer-aggregation's CPU; undici's request, measured alone, costs about half as much per call
 * (docs/benchmarks.md, session 16).
 */
export async function callJson<T = any>(
  url: string,
  options: { method?: string; body?: unknown; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<HttpResult<T>> {
  const method = options.method ?? (options.body === undefined ? 'GET' : 'POST');
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  let outcome = await attempt<T>(url, method, options, deadline);
  // A kept-alive connection the server closed just as it was reused fails before the request was read. A read is
  // sent again once when its connection dropped (a read has no effect to repeat); a write, or any other failure,
  // stays an unknown outcome for the caller.
  if (!outcome.ok && outcome.connectionDropped && method === 'GET' && Date.now() < deadline) outcome = await attempt<T>(url, method, options, deadline);
  if (outcome.ok) return outcome.result;
  throw outcome.error;
}

type Attempt<T> = { ok: true; result: HttpResult<T> } | { ok: false; error: PointsweepError; connectionDropped: boolean };

async function attempt<T>(url: string, method: string, options: { body?: unknown; signal?: AbortSignal }, deadline: number): Promise<Attempt<T>> {
  const path = () => new URL(url).pathname;
  const unknownOutcome = (reason: string, connectionDropped = false): Attempt<T> =>
    ({ ok: false, error: new PointsweepError('OUTCOME_UNKNOWN', `${method} ${path()}: ${reason}`, true), connectionDropped });
  const callerSignal = options.signal;
  if (callerSignal?.aborted) return unknownOutcome(abortReason(callerSignal));

  const { signal, dispose } = deadlineSignal(Math.max(0, deadline - Date.now()), () => new DOMException('timed out', 'TimeoutError'), callerSignal);
  try {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const response = await request(url, {
      dispatcher,
      method: method as 'GET',
      headers: payload === undefined ? undefined : { 'content-type': 'application/json' },
      body: payload,
      signal,
    });
    const text = await response.body.text();
    let body: any = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = { raw: text };
    }
    return { ok: true, result: { status: response.statusCode, body } };
  } catch (error) {
    // Stopped by our deadline or the caller: that is the reason, whatever error undici then reports.
    if (signal.aborted) return unknownOutcome(abortReason(signal));
    const { code, message } = error as { code?: string; message?: string };
    return unknownOutcome(message ?? String(error), code !== undefined && CONNECTION_DROPPED.has(code));
  } finally {
    dispose();
  }
}

/**
 * A signal that aborts at `ms` (with `timeoutReason()`, built only then) or when the caller's aborts (with its
 * reason); `dispose` clears the timer and the listener once the work has settled. AbortSignal.timeout's timer fires
 * even after the work settled, building an exception each time (a twentieth of issuer-aggregation's CPU at 300
 * lookups/s), and AbortSignal.any keeps its own books.
 */
export function deadlineSignal(ms: number, timeoutReason: () => unknown, callerSignal?: AbortSignal): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(timeoutReason()), ms);
  const onCallerAbort = () => controller.abort(callerSignal!.reason);
  if (callerSignal?.aborted) onCallerAbort();
  else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    },
  };
}

// undici reports a connection closed by the other side as UND_ERR_SOCKET, a reset or a broken pipe as the socket's own code.
const CONNECTION_DROPPED = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

function abortReason(signal: AbortSignal): string {
  const reason = signal.reason as { name?: string; message?: string } | undefined;
  return reason?.name === 'TimeoutError' ? 'timed out' : reason?.message ?? 'aborted';
}
