import 'reflect-metadata';
import { CashOutView, PointsweepError } from '@pointsweep/contracts';
import { parseCommandLine } from './args';
import { CliClient, CliDependencies, errorView, isSettled, runCli } from './run';
import { Session } from './session';

const personId = '9b7a3c3e-6f0e-4a53-9d0a-6c1f1f1b2c3d';
const accountId = '1b7a3c3e-6f0e-4a53-9d0a-6c1f1f1b2c3d';
const cashOutId = '2b7a3c3e-6f0e-4a53-9d0a-6c1f1f1b2c3d';
const assertion = 'x'.repeat(40);

function view(state: CashOutView['state'], partState: CashOutView['parts'][number]['state'] = 'PAID'): CashOutView {
  return { cashOutId, requestId: 'cli-1', acceptedAt: 't', state, parts: [{ partId: 'p', program: 'BC_TOP', pointsRequested: 5, pointsConsumed: 5, won: 5, state: partState }] };
}

function harness(session: Session = {}, client: Partial<CliClient> = {}) {
  const calls: { method: string; args: unknown[] }[] = [];
  const stored = { session };
  const out: string[] = [];
  const err: string[] = [];
  const fake = new Proxy({} as CliClient, {
    // Not a thenable: `await connect()` must give the client itself.
    get: (_t, method: string) => method === 'then' ? undefined : async (...args: unknown[]) => {
      calls.push({ method, args });
      const impl = (client as Record<string, (...a: unknown[]) => unknown>)[method];
      return impl ? impl(...args) : undefined;
    },
  });
  const deps: CliDependencies = {
    connect: async () => fake,
    session: { load: async () => stored.session, save: async (s) => void (stored.session = s) },
    readSmsCode: async () => '654321',
    auditLedger: async () => async () => ({ ok: true, checks: [{ name: 'balance', ok: true, detail: 'all units balance' }] }),
    now: () => new Date('2026-11-25T01:00:00Z'),
    sleep: async () => undefined,
    out: (t) => out.push(t),
    err: (t) => err.push(t),
  };
  const run = (line: string, overrides: Partial<CliDependencies> = {}) =>
    runCli(() => parseCommandLine(line.split(' ').filter(Boolean), {}), { ...deps, ...overrides });
  return { run, calls, stored, out, err };
}

const verified = { personId, assertion, assertionExpiresAt: '2026-11-26T00:00:00Z' };

describe('runCli', () => {
  it('verify starts, reads the code from the inbox, confirms and saves the session', async () => {
    const h = harness({}, {
      startVerification: async () => ({ verificationId: 'v1', expiresAt: 't' }),
      confirmVerification: async () => verified,
    });
    await expect(h.run('verify --name 김민지 --birth-date 1990-04-01 --carrier SKT --phone 01012345678')).resolves.toBe(0);
    expect(h.calls.map((c) => c.method)).toEqual(['startVerification', 'confirmVerification', 'close']);
    expect(h.calls[1].args[0]).toEqual({ verificationId: 'v1', code: '654321' });
    expect(h.stored.session).toEqual(verified);
  });

  it('consent grant asks for every card company named in one request and prints each consent', async () => {
    const at = '2026-11-25T01:00:00.000Z';
    const h = harness(verified, {
      grantConsents: async (input: unknown) => (input as { issuers: string[] }).issuers.map((issuer) => ({ issuer, status: 'GRANTED', at })),
    });
    await expect(h.run('consent grant --issuer kb,shinhan')).resolves.toBe(0);
    expect(h.calls.map((c) => c.method)).toEqual(['grantConsents', 'close']);
    expect(h.calls[0].args).toEqual([{ assertion, issuers: ['KB', 'SHINHAN'] }, personId]);
    expect(h.out.join('\n')).toBe(`consent granted for KB at ${at}\nconsent granted for SHINHAN at ${at}`);
  });

  it('verify --start-only keeps the pending verification for verify --code', async () => {
    const h = harness({}, { startVerification: async () => ({ verificationId: 'v1', expiresAt: 't' }), confirmVerification: async () => verified });
    await expect(h.run('verify --name a --birth-date 1990-04-01 --carrier KT --phone 01012345678 --start-only')).resolves.toBe(0);
    expect(h.stored.session.pending).toEqual({ verificationId: 'v1', expiresAt: 't' });
    await expect(h.run('verify --code 111111')).resolves.toBe(0);
    expect(h.calls.find((c) => c.method === 'confirmVerification')!.args[0]).toEqual({ verificationId: 'v1', code: '111111' });
    expect(h.stored.session).toEqual(verified);
  });

  it('checks input against the contract before sending: exit 2', async () => {
    const h = harness();
    await expect(h.run('verify --name a --birth-date 1990-4-1 --carrier KT --phone 01012345678')).resolves.toBe(2);
    expect(h.err.join()).toMatch(/error USAGE: birthDate: birthDate must be YYYY-MM-DD/);
    expect(h.calls).toEqual([]);
  });

  it('person commands need a session, and an unexpired assertion', async () => {
    const h = harness();
    await expect(h.run('lookup')).resolves.toBe(1);
    expect(h.err.join()).toMatch(/NO_SESSION/);
    const expired = harness({ ...verified, assertionExpiresAt: '2026-11-25T00:00:00Z' });
    await expect(expired.run('lookup')).resolves.toBe(1);
    expect(expired.err.join()).toMatch(/IDENTITY_ASSERTION_EXPIRED/);
  });

  it('cashout uses the registered account, generates a request id and prints the raw result with --json', async () => {
    const h = harness({ ...verified, accountId }, { cashOut: async () => view('IN_PROGRESS', 'REDEEMING') });
    await expect(h.run('cashout --part BC_TOP:5 --json')).resolves.toBe(0);
    const [input, key] = h.calls[0].args as [{ requestId: string; accountId: string; assertion: string }, string];
    expect(input).toMatchObject({ accountId, assertion, parts: [{ program: 'BC_TOP', points: 5 }] });
    expect(input.requestId).toMatch(/^cli-/);
    expect(key).toBe(personId);
    expect(JSON.parse(h.out[0])).toEqual(view('IN_PROGRESS', 'REDEEMING'));
  });

  it('cashout --quote confirms the quote', async () => {
    const quoteId = '3b7a3c3e-6f0e-4a53-9d0a-6c1f1f1b2c3d';
    const h = harness(verified, { confirmQuote: async () => view('COMPLETED') });
    await expect(h.run(`cashout --quote ${quoteId} --request-id again-123`)).resolves.toBe(0);
    expect(h.calls[0]).toMatchObject({ method: 'confirmQuote', args: [{ assertion, quoteId, requestId: 'again-123' }, personId] });
  });

  it('a refusal prints its code and exits 1; a timeout says how to retry safely', async () => {
    const refused = harness({ ...verified, accountId }, { cashOut: async () => { throw new PointsweepError('DAILY_CASH_OUT_LIMIT', 'one per day'); } });
    await expect(refused.run('cashout --part BC_TOP:5')).resolves.toBe(1);
    expect(refused.err).toEqual(['error DAILY_CASH_OUT_LIMIT: one per day']);
    const timeout = harness({ ...verified, accountId }, { cashOut: async () => { throw new PointsweepError('REPLY_TIMEOUT', 'no reply', true); } });
    await expect(timeout.run('cashout --part BC_TOP:5 --request-id req-000001')).resolves.toBe(1);
    expect(timeout.err[0]).toMatch(/REPLY_TIMEOUT: no reply; .*--request-id req-000001/);
  });

  it('status --wait polls until the cash-out settles', async () => {
    const answers = [view('IN_PROGRESS', 'PAYING'), view('IN_PROGRESS', 'PAYING'), view('COMPLETED')];
    const h = harness(verified, { cashOutStatus: async () => answers.shift()! });
    await expect(h.run(`status --cash-out ${cashOutId} --wait`)).resolves.toBe(0);
    expect(h.calls.filter((c) => c.method === 'cashOutStatus')).toHaveLength(3);
    expect(h.out[0]).toContain('COMPLETED');
  });

  it('operator commands carry the operator', async () => {
    const h = harness({}, { releaseDuePayouts: async () => ({ released: 3 }), listManualReview: async () => [] });
    await expect(h.run('release-due --operator kim')).resolves.toBe(0);
    expect(h.out[0]).toBe('released 3 scheduled payouts');
    await expect(h.run('manual-review --operator Kim')).resolves.toBe(2);
  });

  it('audit exits 1 when a check fails and never connects to Kafka', async () => {
    const h = harness();
    const connect = jest.fn();
    await expect(h.run('audit --database-url postgres://db/x', { connect })).resolves.toBe(0);
    const failing = async () => async () => ({ ok: false, checks: [{ name: 'money', ok: false, detail: 'redeemed != paid + refunded + in flight' }] });
    await expect(h.run('audit --database-url postgres://db/x', { connect, auditLedger: failing })).resolves.toBe(1);
    expect(h.err.at(-1)).toBe('error LEDGER_AUDIT_FAILED: 1 of 1 checks failed');
    expect(connect).not.toHaveBeenCalled();
  });

  it('usage errors exit 2', async () => {
    const h = harness();
    await expect(h.run('fly')).resolves.toBe(2);
    expect(h.err[0]).toMatch(/^error USAGE: unknown command/);
  });
});

describe('errorView and isSettled', () => {
  it('names Kafka and unknown errors', () => {
    const kafka = Object.assign(new Error('connect ECONNREFUSED'), { name: 'KafkaJSConnectionError' });
    expect(errorView(kafka)).toMatchObject({ code: 'KAFKA_UNAVAILABLE', retriable: true });
    expect(errorView(new Error('boom'))).toMatchObject({ code: 'UNEXPECTED' });
  });
  it('treats scheduled parts as settled for waiting', () => {
    expect(isSettled(view('IN_PROGRESS', 'SCHEDULED'))).toBe(true);
    expect(isSettled(view('IN_PROGRESS', 'PAYING'))).toBe(false);
  });
});

describe('runCli dlq', () => {
  const deadLetter = {
    reason: { code: 'OUTCOME_UNKNOWN', message: 'timed out', retriable: true }, consumer: 'p.identity', source: { topic: 'p.identity.commands', partition: 0, offset: '7' },
    attempts: 5, failedAt: '2026-11-25T01:00:00.000Z', messageId: '0b5e1f9a-6a53-4c8e-9a55-2b6f9f0f2a11', messageType: 'RegisterPayoutAccount', original: null,
    sealedOriginal: 's1.x.y.z', originalBytes: 300, originalSha256: 'ab',
  };

  it('lists dead letters and replays one by message id', async () => {
    const asked: unknown[] = [];
    const tool = {
      list: async (o: unknown) => { asked.push(o); return [{ partition: 0, offset: '3', key: 'k', deadLetter }]; },
      replay: async (o: unknown) => { asked.push(o); return [{ partition: 0, offset: '3', messageId: deadLetter.messageId, topic: 'p.identity.commands', replayed: true }]; },
    };
    const h = harness({}, {});
    await expect(h.run('dlq list --limit 5', { deadLetters: () => tool })).resolves.toBe(0);
    expect(h.out.join('\n')).toMatch(/1 dead letter\(s\):[\s\S]*OUTCOME_UNKNOWN[\s\S]*RegisterPayoutAccount/);
    await expect(h.run(`dlq replay --message-id ${deadLetter.messageId}`, { deadLetters: () => tool })).resolves.toBe(0);
    expect(h.out.join('\n')).toMatch(/replayed 1 of 1/);
    expect(asked).toEqual([
      { brokers: ['127.0.0.1:9092'], prefix: 'pointsweep', limit: 5 },
      { brokers: ['127.0.0.1:9092'], prefix: 'pointsweep', messageId: deadLetter.messageId, fromTopic: undefined },
    ]);
  });

  it('fails when nothing matched', async () => {
    const tool = { list: async () => [], replay: async () => [] };
    const h = harness({}, {});
    await expect(h.run('dlq replay --all-from-topic p.ledger.commands', { deadLetters: () => tool })).resolves.toBe(1);
    expect(h.out.join('\n')).toMatch(/nothing replayed/);
  });
});
