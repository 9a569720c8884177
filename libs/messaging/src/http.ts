import { PointsweepError } from '@pointsweep/contracts';

export interface HttpResult<T = any> {
  status: number;
  body: T;
}

/**
 * JSON over HTTP to the outside world (card companies, the bank), with a hard timeout that aborts the request.
 * A network error or timeout is an UNKNOWN outcome, reported as a retriable error with code OUTCOME_UNKNOWN.
 */
export async function callJson<T = any>(
  url: string,
  options: { method?: string; body?: unknown; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<HttpResult<T>> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 5000);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: options.body === undefined ? undefined : { 'content-type': 'application/json' },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal,
    });
  } catch (error) {
    const reason = (error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).message;
    throw new PointsweepError('OUTCOME_UNKNOWN', `${options.method ?? 'GET'} ${new URL(url).pathname}: ${reason}`, true);
  }
  const text = await response.text();
  let body: any = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = { raw: text };
  }
  return { status: response.status, body };
}
