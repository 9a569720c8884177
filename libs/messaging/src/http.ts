import { Agent as HttpAgent, IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { PointsweepError } from '@pointsweep/contracts';

export interface HttpResult<T = any> {
  status: number;
  body: T;
}

// Connections to the card companies and the bank are kept open and reused: a lookup makes up to 11 calls. An idle
// socket is dropped after 4 s, before a server's usual 5-s keep-alive timeout closes it under us.
const agentOptions = { keepAlive: true, maxFreeSockets: 256, timeout: 4000 };
const agents = { 'http:': new HttpAgent(agentOptions), 'https:': new HttpsAgent(agentOptions) };

/**
 * JSON over HTTP to the outside world (card companies, the bank), with a hard timeout that aborts the request.
 * A network error or timeout is an UNKNOWN outcome, reported as a retriable error with code OUTCOME_UNKNOWN.
 *
 * node:http rather than fetch: under the lookup load fetch's streams, headers objects and per-call abort signals
 * were about a tenth of the card-company service's CPU. One timer and one abort listener per call here.
 */
export async function callJson<T = any>(
  url: string,
  options: { method?: string; body?: unknown; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<HttpResult<T>> {
  const method = options.method ?? (options.body === undefined ? 'GET' : 'POST');
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  let outcome = await attempt<T>(url, method, options, deadline);
  // A kept-alive socket the server closed just as it was reused fails before the request was read: a read is
  // sent again once (as Node's documentation advises); anything else stays an unknown outcome for the caller.
  if (!outcome.ok && outcome.staleSocket && method === 'GET' && Date.now() < deadline) outcome = await attempt<T>(url, method, options, deadline);
  if (outcome.ok) return outcome.result;
  throw outcome.error;
}

type Attempt<T> = { ok: true; result: HttpResult<T> } | { ok: false; error: PointsweepError; staleSocket: boolean };

function attempt<T>(url: string, method: string, options: { body?: unknown; signal?: AbortSignal }, deadline: number): Promise<Attempt<T>> {
  const target = new URL(url);
  const unknownOutcome = (reason: string) => new PointsweepError('OUTCOME_UNKNOWN', `${method} ${target.pathname}: ${reason}`, true);
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  return new Promise<Attempt<T>>((resolve) => {
    const callerSignal = options.signal;
    if (callerSignal?.aborted) {
      resolve({ ok: false, error: unknownOutcome(abortReason(callerSignal)), staleSocket: false });
      return;
    }
    let settled = false;
    const finish = (outcome: Attempt<T>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onAbort);
      if (!outcome.ok) req.destroy();
      resolve(outcome);
    };
    const fail = (reason: string, staleSocket = false) => finish({ ok: false, error: unknownOutcome(reason), staleSocket });
    const onAbort = () => fail(abortReason(callerSignal!));
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const agent = target.protocol === 'https:' ? agents['https:'] : agents['http:'];
    const req = send(target, {
      method,
      agent,
      headers: payload === undefined ? undefined : { 'content-type': 'application/json', 'content-length': payload.length },
    }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => fail(error.message));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: any = undefined;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = { raw: text };
        }
        finish({ ok: true, result: { status: res.statusCode ?? 0, body } });
      });
    });
    const timer = setTimeout(() => fail('timed out'), Math.max(0, deadline - Date.now()));
    callerSignal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error: NodeJS.ErrnoException) => fail(error.message, req.reusedSocket && error.code === 'ECONNRESET'));
    req.end(payload);
  });
}

function abortReason(signal: AbortSignal): string {
  const reason = signal.reason as { name?: string; message?: string } | undefined;
  return reason?.name === 'TimeoutError' ? 'timed out' : reason?.message ?? 'aborted';
}
