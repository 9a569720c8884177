import { Agent as HttpAgent, IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { PointsweepError } from '@pointsweep/contracts';

export interface HttpResult<T = any> {
  status: number;
  body: T;
}

// Connections to the card companies and the bank are kept open and reused: a lookup makes up to 11 calls.
const agents = { 'http:': new HttpAgent({ keepAlive: true, maxFreeSockets: 256 }), 'https:': new HttpsAgent({ keepAlive: true, maxFreeSockets: 256 }) };

/**
 * JSON over HTTP to the outside world (card companies, the bank), with a hard timeout that aborts the request.
 * A network error or timeout is an UNKNOWN outcome, reported as a retriable error with code OUTCOME_UNKNOWN.
 *
 * node:http rather than fetch: under the lookup load fetch's streams, headers objects and per-call abort signals
 * were about a tenth of the card-company service's CPU. One timer and one abort listener per call here.
 */
export function callJson<T = any>(
  url: string,
  options: { method?: string; body?: unknown; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<HttpResult<T>> {
  const method = options.method ?? (options.body === undefined ? 'GET' : 'POST');
  const target = new URL(url);
  const unknownOutcome = (reason: string) => new PointsweepError('OUTCOME_UNKNOWN', `${method} ${target.pathname}: ${reason}`, true);
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  return new Promise<HttpResult<T>>((resolve, reject) => {
    const callerSignal = options.signal;
    if (callerSignal?.aborted) {
      reject(unknownOutcome(abortReason(callerSignal)));
      return;
    }
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const abort = (reason: string) => finish(() => {
      req.destroy();
      reject(unknownOutcome(reason));
    });
    const onAbort = () => abort(abortReason(callerSignal!));
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const agent = target.protocol === 'https:' ? agents['https:'] : agents['http:'];
    const req = send(target, {
      method,
      agent,
      headers: payload === undefined ? undefined : { 'content-type': 'application/json', 'content-length': payload.length },
    }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => abort(error.message));
      res.on('end', () => finish(() => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: any = undefined;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = { raw: text };
        }
        resolve({ status: res.statusCode ?? 0, body });
      }));
    });
    const timer = setTimeout(() => abort('timed out'), options.timeoutMs ?? 5000);
    callerSignal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error) => abort(error.message));
    req.end(payload);
  });
}

function abortReason(signal: AbortSignal): string {
  const reason = signal.reason as { name?: string; message?: string } | undefined;
  return reason?.name === 'TimeoutError' ? 'timed out' : reason?.message ?? 'aborted';
}
