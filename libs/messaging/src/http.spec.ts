import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { callJson } from './http';

describe('JSON over HTTP to the outside world', () => {
  let server: Server;
  let base: string;
  const remotePorts: number[] = [];
  let handle: (req: IncomingMessage, res: ServerResponse, body: string) => void;

  beforeAll(async () => {
    server = createServer((req, res) => {
      remotePorts.push(req.socket.remotePort!);
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => handle(req, res, body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('posts a JSON body and returns the status and parsed answer', async () => {
    handle = (req, res, body) => res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, echoed: JSON.parse(body) }));
    expect(await callJson(`${base}/transfers`, { body: { won: 11_400 } })).toEqual({ status: 201, body: { method: 'POST', echoed: { won: 11_400 } } });
  });

  it('keeps an answer that is not JSON as raw text, and an empty one as undefined', async () => {
    handle = (_req, res) => res.writeHead(502).end('bad gateway');
    expect(await callJson(`${base}/x`)).toEqual({ status: 502, body: { raw: 'bad gateway' } });
    handle = (_req, res) => res.writeHead(204).end();
    expect(await callJson(`${base}/x`)).toEqual({ status: 204, body: undefined });
  });

  it('reuses kept-alive connections for calls one after another instead of opening one per call', async () => {
    handle = (_req, res) => res.writeHead(200).end('{}');
    remotePorts.length = 0;
    // undici hands a connection back a moment after its answer is read, so the next call may open a second one.
    for (const path of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) await callJson(`${base}/${path}`);
    expect(remotePorts).toHaveLength(8);
    expect(new Set(remotePorts).size).toBeLessThanOrEqual(2);
  });

  it('sends a read again once when its connection is closed or reset under it, but never a write', async () => {
    // As when a server's keep-alive timeout closes a connection just as a call goes out on it.
    let closesToCome = 0;
    let resetsToCome = 0;
    const seen: string[] = [];
    handle = (req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (resetsToCome > 0) {
        resetsToCome -= 1;
        req.socket.resetAndDestroy();
      } else if (closesToCome > 0) {
        closesToCome -= 1;
        req.socket.destroy();
      } else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
    };
    closesToCome = 1;
    expect(await callJson(`${base}/points`)).toEqual({ status: 200, body: { path: '/points' } });
    expect(seen).toEqual(['GET /points', 'GET /points']);

    resetsToCome = 1;
    seen.length = 0;
    expect(await callJson(`${base}/points`)).toEqual({ status: 200, body: { path: '/points' } });
    expect(seen).toEqual(['GET /points', 'GET /points']);

    closesToCome = 2;
    await expect(callJson(`${base}/points`)).rejects.toMatchObject({ code: 'OUTCOME_UNKNOWN', retriable: true });
    seen.length = 0;
    closesToCome = 1;
    await expect(callJson(`${base}/redemptions`, { body: { points: 100 } })).rejects.toMatchObject({ code: 'OUTCOME_UNKNOWN', retriable: true });
    expect(seen).toEqual(['POST /redemptions']);
  });

  it('gives up at its timeout with a retriable OUTCOME_UNKNOWN, however long the other side takes', async () => {
    handle = () => undefined; // never answers
    await expect(callJson(`${base}/hung`, { timeoutMs: 50 })).rejects.toMatchObject({ code: 'OUTCOME_UNKNOWN', retriable: true, message: 'GET /hung: timed out' });
  });

  it('stops when the caller aborts, saying why', async () => {
    handle = () => undefined;
    const caller = new AbortController();
    const call = callJson(`${base}/hung`, { timeoutMs: 10_000, signal: caller.signal });
    caller.abort(new Error('the lookup budget ran out'));
    await expect(call).rejects.toMatchObject({ code: 'OUTCOME_UNKNOWN', message: 'GET /hung: the lookup budget ran out' });
    await expect(callJson(`${base}/hung`, { signal: AbortSignal.timeout(1) })).rejects.toMatchObject({ code: 'OUTCOME_UNKNOWN', message: 'GET /hung: timed out' });
  });

  it('reports a refused connection as OUTCOME_UNKNOWN', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(callJson(`http://127.0.0.1:${port}/x`, { timeoutMs: 1000 })).rejects.toMatchObject({ code: 'OUTCOME_UNKNOWN', retriable: true });
  });
});
