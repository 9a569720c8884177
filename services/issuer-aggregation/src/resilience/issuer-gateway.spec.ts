import { ISSUERS, IssuerCode, PointsweepError } from '@pointsweep/contracts';
import type { JsonLogger } from '@pointsweep/messaging';
import type { Connectors } from '../connectors/connectors';
import type { IssuerConnector } from '../connectors/issuer-connector';
import { DEFAULT_ISSUER_SETTINGS, IssuerSettings } from '../settings';
import { IssuerGateway } from './issuer-gateway';

const quietLogger = { info: jest.fn(), warn: jest.fn(), error: jest.fn(), debug: jest.fn(), child: () => quietLogger } as unknown as JsonLogger;

function fakeConnectors(fetchPoints: IssuerConnector['fetchPoints']): Connectors {
  const make = (issuer: IssuerCode): IssuerConnector => ({
    issuer,
    fetchPoints,
    redeem: async () => ({ transactionId: 'R1', program: 'KB_POINTREE', points: 1 }),
    findRedemption: async () => null,
    refund: async () => ({ refundId: 'F1' }),
    findRefund: async () => null,
  });
  return Object.fromEntries(ISSUERS.map((i) => [i, make(i)])) as Connectors;
}

describe('issuer gateway', () => {
  let gateway: IssuerGateway | undefined;
  afterEach(() => gateway?.shutdown());

  function build(fetchPoints: IssuerConnector['fetchPoints'], settings: Partial<IssuerSettings> = {}, now?: () => number) {
    gateway = new IssuerGateway(fakeConnectors(fetchPoints), { ...DEFAULT_ISSUER_SETTINGS, ...settings }, quietLogger, now);
    return gateway;
  }

  it('given only business rejections, when many calls fail, then the breaker stays closed', async () => {
    const g = build(async () => { throw new PointsweepError('INSUFFICIENT_POINTS', 'no', false); });
    for (let i = 0; i < 30; i++) await expect(g.fetchPoints('KB', 'ci')).rejects.toMatchObject({ code: 'INSUFFICIENT_POINTS' });
    expect(g.states().KB).toBe('closed');
  });

  it('given one early failure, when below the volume threshold, then the breaker stays closed', async () => {
    const g = build(async () => { throw new PointsweepError('ISSUER_ERROR', '500', true); });
    await expect(g.fetchPoints('KB', 'ci')).rejects.toMatchObject({ code: 'ISSUER_ERROR' });
    expect(g.states().KB).toBe('closed');
  });

  it('given repeated 5xx, when past the volume threshold, then that breaker opens, fails fast, and the others stay closed', async () => {
    const changes: string[] = [];
    const g = build(async () => { throw new PointsweepError('ISSUER_ERROR', '500', true); });
    g.onStateChange((issuer, state) => changes.push(`${issuer}:${state}`));
    for (let i = 0; i < 12; i++) await g.fetchPoints('SAMSUNG', 'ci').catch(() => undefined);
    expect(g.states()).toMatchObject({ SAMSUNG: 'open', KB: 'closed' });
    expect(changes).toEqual(['SAMSUNG:open']);
    await expect(g.fetchPoints('SAMSUNG', 'ci')).rejects.toMatchObject({ code: 'BREAKER_OPEN', retriable: true });
  });

  it('given a state listener that throws, when the breaker opens, then the breaker still opens and fails fast', async () => {
    const g = build(async () => { throw new PointsweepError('ISSUER_ERROR', '500', true); });
    g.onStateChange(() => { throw new Error('listener broke'); });
    for (let i = 0; i < 12; i++) await g.fetchPoints('SAMSUNG', 'ci').catch(() => undefined);
    expect(g.states().SAMSUNG).toBe('open');
    await expect(g.fetchPoints('SAMSUNG', 'ci')).rejects.toMatchObject({ code: 'BREAKER_OPEN' });
  });

  it('given a hung card company, when the timeout passes, then the call is aborted and reported as a timeout', async () => {
    let abortedBy: unknown;
    const g = build(
      (_ci, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => { abortedBy = signal.reason; reject(signal.reason); })),
      { issuerTimeoutMs: 30 },
    );
    await expect(g.fetchPoints('KB', 'ci')).rejects.toMatchObject({ code: 'ISSUER_TIMEOUT', retriable: true });
    await new Promise((r) => setTimeout(r, 20));
    expect(abortedBy).toBeDefined();
  });

  it('given the rate limit is spent, when another call comes, then it is refused as retriable without calling', async () => {
    let calls = 0;
    const g = build(async () => { calls++; return { asOf: 'x', programs: [] }; }, { issuerRatePerSecond: 1, issuerBurst: 2 }, () => 0);
    await g.fetchPoints('KB', 'ci');
    await g.fetchPoints('KB', 'ci');
    await expect(g.fetchPoints('KB', 'ci')).rejects.toMatchObject({ code: 'RATE_LIMITED', retriable: true });
    expect(calls).toBe(2);
    await expect(g.fetchPoints('NH', 'ci')).resolves.toBeDefined(); // its own bucket
  });

  it('given a full bulkhead, when one more call comes, then it is refused as retriable', async () => {
    const g = build(() => new Promise(() => undefined), { issuerCapacity: 1, issuerTimeoutMs: 50 });
    const first = g.fetchPoints('KB', 'ci').catch((e) => e);
    await expect(g.fetchPoints('KB', 'ci')).rejects.toMatchObject({ code: 'BULKHEAD_FULL', retriable: true });
    await first;
  });

  it('given a full bulkhead, when many more calls are refused, then the breaker stays closed: the company failed nothing', async () => {
    const points = { asOf: 'x', programs: [] };
    let answerFirst: () => void = () => undefined;
    let calls = 0;
    const g = build(() => (++calls === 1 ? new Promise((resolve) => { answerFirst = () => resolve(points); }) : Promise.resolve(points)), { issuerCapacity: 1 });
    const first = g.fetchPoints('KB', 'ci');
    for (let i = 0; i < 30; i++) await expect(g.fetchPoints('KB', 'ci')).rejects.toMatchObject({ code: 'BULKHEAD_FULL' });
    answerFirst();
    await first;
    expect(g.states().KB).toBe('closed');
    await expect(g.fetchPoints('KB', 'ci')).resolves.toBeDefined();
  });

  it('given an open breaker, when calls are refused, then they spend none of the company\'s rate', async () => {
    let sent = 0;
    const g = build(async () => { sent++; throw new PointsweepError('ISSUER_ERROR', '500', true); }, { issuerRatePerSecond: 1, issuerBurst: 11, breakerResetTimeoutMs: 30 }, () => 0);
    while (g.states().SAMSUNG === 'closed') await g.fetchPoints('SAMSUNG', 'ci').catch(() => undefined);
    expect(sent).toBe(10);
    for (let i = 0; i < 5; i++) await expect(g.fetchPoints('SAMSUNG', 'ci')).rejects.toMatchObject({ code: 'BREAKER_OPEN' });
    for (const deadline = Date.now() + 2000; g.states().SAMSUNG !== 'halfOpen';) {
      if (Date.now() > deadline) throw new Error('the breaker never went half open');
      await new Promise((r) => setTimeout(r, 5));
    }
    // The clock stands still, so only the token the refusals did not spend lets the trial call out.
    await expect(g.fetchPoints('SAMSUNG', 'ci')).rejects.toMatchObject({ code: 'ISSUER_ERROR' });
    expect(sent).toBe(11);
  });

  it('given a half-open breaker with its trial call out, when more calls come, then they are refused as open and spend no rate', async () => {
    let sent = 0;
    let answerTrial: () => void = () => undefined;
    const points = { asOf: 'x', programs: [] };
    const g = build(async () => {
      sent++;
      if (sent <= 10) throw new PointsweepError('ISSUER_ERROR', '500', true);
      if (sent === 11) return new Promise((resolve) => { answerTrial = () => resolve(points); });
      return points;
    }, { issuerRatePerSecond: 1, issuerBurst: 12, breakerResetTimeoutMs: 30 }, () => 0);
    while (g.states().SAMSUNG === 'closed') await g.fetchPoints('SAMSUNG', 'ci').catch(() => undefined);
    for (const deadline = Date.now() + 2000; g.states().SAMSUNG !== 'halfOpen';) {
      if (Date.now() > deadline) throw new Error('the breaker never went half open');
      await new Promise((r) => setTimeout(r, 5));
    }
    const trial = g.fetchPoints('SAMSUNG', 'ci');
    for (let i = 0; i < 3; i++) await expect(g.fetchPoints('SAMSUNG', 'ci')).rejects.toMatchObject({ code: 'BREAKER_OPEN' });
    answerTrial();
    await trial;
    expect(g.states().SAMSUNG).toBe('closed');
    // The twelfth token, left by the refusals, carries the next call.
    await expect(g.fetchPoints('SAMSUNG', 'ci')).resolves.toEqual(points);
    expect(sent).toBe(12);
  });
});
