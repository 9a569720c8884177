import 'reflect-metadata';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulators } from './index';

type Sims = Awaited<ReturnType<typeof startSimulators>>;

const TRANSFER_DATE = '20261125';
let txCounter = 0;
/** 10-character institution code + 'U' + 9 uppercase alphanumerics. */
const bankTxId = () => `PTSWEEP001U${String(++txCounter).padStart(9, '0')}`;

async function call(sims: Sims, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(sims.url + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

describe('simulators over HTTP', () => {
  let stateDir: string;
  let sims: Sims;
  const account = { bankCode: '088', accountNumber: '110123456789', holderName: '김민지', birthDate: '1991-04-05' };

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'simulators-int-'));
    sims = await startSimulators({ port: 0, stateDir, seed: 'int-spec', logLevel: 'silent' });
    expect((await call(sims, 'PUT', '/admin/bank/accounts', account)).status).toBe(200);
  });

  afterAll(async () => {
    await sims?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  afterEach(async () => {
    await call(sims, 'PUT', '/admin/bank/faults', { mode: 'none' });
  });

  it('answers live and ready', async () => {
    expect(await call(sims, 'GET', '/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await call(sims, 'GET', '/health/ready')).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('verifies a person with the code sent to the phone and gives the same ci every time', async () => {
    const person = { name: '김민지', birthDate: '1991-04-05', carrier: 'KT', phone: '01055551234' };
    const cis: string[] = [];
    for (let i = 0; i < 2; i++) {
      const started = await call(sims, 'POST', '/carrier/verifications', person);
      expect(started.status).toBe(201);
      const inbox = await call(sims, 'GET', `/carrier/inbox/${person.phone}`);
      expect(inbox.body.transactionId).toBe(started.body.transactionId);
      const wrong = String((Number(inbox.body.code) + 1) % 1_000_000).padStart(6, '0');
      expect((await call(sims, 'POST', `/carrier/verifications/${started.body.transactionId}/confirm`, { code: wrong })).body.code).toBe('CODE_MISMATCH');
      const ok = await call(sims, 'POST', `/carrier/verifications/${started.body.transactionId}/confirm`, { code: inbox.body.code });
      expect(ok.status).toBe(200);
      cis.push(ok.body.ci);
    }
    expect(cis[0]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cis[1]).toBe(cis[0]);
  });

  it('answers a repeated redemption with the first result and deducts the points once', async () => {
    const ci = 'ci-redeem-once';
    await call(sims, 'PUT', `/admin/issuers/KB/members/${ci}/programs/KB_POINTREE`, { balance: 5000 });
    const request = { idempotencyKey: 'redeem-once-1', ci, program: 'KB_POINTREE', points: 1200 };
    const first = await call(sims, 'POST', '/issuers/KB/redemptions', request);
    const second = await call(sims, 'POST', '/issuers/KB/redemptions', request);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ program: 'KB_POINTREE', points: 1200, balanceAfter: 3800 });
    expect(second).toEqual(first);
    const lookup = await call(sims, 'GET', `/issuers/KB/members/${ci}/points`);
    expect(lookup.body.programs[0].balance).toBe(3800);
    expect((await call(sims, 'GET', '/issuers/KB/redemptions/redeem-once-1')).body).toEqual(first.body);
    const reused = await call(sims, 'POST', '/issuers/KB/redemptions', { ...request, points: 1 });
    expect(reused).toEqual({ status: 409, body: expect.objectContaining({ code: 'IDEMPOTENCY_KEY_REUSED' }) });
  });

  it('refuses a redemption larger than the balance with 422 and remembers nothing under its key', async () => {
    const ci = 'ci-too-few';
    await call(sims, 'PUT', `/admin/issuers/SHINHAN/members/${ci}/programs/SHINHAN_MYSHINHAN`, { balance: 100 });
    const res = await call(sims, 'POST', '/issuers/SHINHAN/redemptions', { idempotencyKey: 'too-few-1', ci, program: 'SHINHAN_MYSHINHAN', points: 101 });
    expect(res).toEqual({ status: 422, body: expect.objectContaining({ code: 'INSUFFICIENT_POINTS' }) });
    expect((await call(sims, 'GET', '/issuers/SHINHAN/redemptions/too-few-1')).status).toBe(404);
  });

  it('answers a reused transaction id with duplicate and pays once', async () => {
    const transactionId = bankTxId();
    const transfer = { transactionId, transferDate: TRANSFER_DATE, bankCode: account.bankCode, accountNumber: account.accountNumber, amountWon: 6600 };
    const first = await call(sims, 'POST', '/bank/transfers', transfer);
    expect(first.body.responseCode).toBe('0000');
    const again = await call(sims, 'POST', '/bank/transfers', transfer);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ responseCode: '0011', originalStatus: 'COMPLETED' });
    const all = (await call(sims, 'GET', '/admin/bank/transfers')).body as Array<{ transactionId: string }>;
    expect(all.filter((t) => t.transactionId === transactionId)).toHaveLength(1);
  });

  it('records the transfer when the bank times out after transferring, so the inquiry finds it COMPLETED', async () => {
    await call(sims, 'PUT', '/admin/bank/faults', { mode: 'timeout-after-transfer', count: 1, hangMs: 50 });
    const transactionId = bankTxId();
    const res = await call(sims, 'POST', '/bank/transfers', { transactionId, transferDate: TRANSFER_DATE, bankCode: account.bankCode, accountNumber: account.accountNumber, amountWon: 1000 });
    expect(res.status).toBe(504);
    expect(res.body.responseCode).toBe('0009');
    const inquiry = await call(sims, 'GET', `/bank/transfers/${TRANSFER_DATE}/${transactionId}`);
    expect(inquiry).toEqual({ status: 200, body: expect.objectContaining({ status: 'COMPLETED', responseCode: '0000', amountWon: 1000 }) });
  });

  it('does not record the transfer when the bank times out before transferring, so the inquiry finds nothing', async () => {
    await call(sims, 'PUT', '/admin/bank/faults', { mode: 'timeout-before-transfer', count: 1, hangMs: 50 });
    const transactionId = bankTxId();
    const res = await call(sims, 'POST', '/bank/transfers', { transactionId, transferDate: TRANSFER_DATE, bankCode: account.bankCode, accountNumber: account.accountNumber, amountWon: 1000 });
    expect(res.status).toBe(504);
    expect(res.body.responseCode).toBe('0009');
    const inquiry = await call(sims, 'GET', `/bank/transfers/${TRANSFER_DATE}/${transactionId}`);
    expect(inquiry).toEqual({ status: 404, body: expect.objectContaining({ code: 'NOT_FOUND' }) });
  });

  it('answers concurrent redemptions and transfers only once each is written to the journal', async () => {
    const ci = 'ci-concurrent';
    await call(sims, 'PUT', `/admin/issuers/KB/members/${ci}/programs/KB_POINTREE`, { balance: 100_000 });
    const journalHolds = (id: string) => readFileSync(join(stateDir, 'journal.jsonl'), 'utf8').includes(id);
    const answers = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        if (i % 2 === 0) {
          const r = await call(sims, 'POST', '/issuers/KB/redemptions', { idempotencyKey: `concurrent-${i}`, ci, program: 'KB_POINTREE', points: 100 });
          return { ok: r.status === 200, written: journalHolds(r.body.transactionId) };
        }
        const transactionId = bankTxId();
        const r = await call(sims, 'POST', '/bank/transfers', { transactionId, transferDate: TRANSFER_DATE, bankCode: account.bankCode, accountNumber: account.accountNumber, amountWon: 1000 });
        return { ok: r.body.responseCode === '0000', written: journalHolds(transactionId) };
      }),
    );
    expect(answers).toEqual(Array.from({ length: 40 }, () => ({ ok: true, written: true })));
    expect((await call(sims, 'GET', `/issuers/KB/members/${ci}/points`)).body.programs[0].balance).toBe(100_000 - 20 * 100);
  });

  it('keeps redemptions, balances, accounts and transfers across a restart on the same state directory', async () => {
    const ci = 'ci-restart';
    await call(sims, 'PUT', `/admin/issuers/HANA/members/${ci}/programs/HANA_MONEY`, { balance: 9000 });
    const redemption = await call(sims, 'POST', '/issuers/HANA/redemptions', { idempotencyKey: 'restart-1', ci, program: 'HANA_MONEY', points: 2500 });
    const transactionId = bankTxId();
    await call(sims, 'POST', '/bank/transfers', { transactionId, transferDate: TRANSFER_DATE, bankCode: account.bankCode, accountNumber: account.accountNumber, amountWon: 2500 });
    const pointsBefore = (await call(sims, 'GET', `/issuers/HANA/members/${ci}/points`)).body.programs;

    await sims.close();
    sims = await startSimulators({ port: 0, stateDir, seed: 'int-spec', logLevel: 'silent' });

    expect((await call(sims, 'GET', `/issuers/HANA/members/${ci}/points`)).body.programs).toEqual(pointsBefore);
    expect(pointsBefore[0].balance).toBe(6500);
    expect((await call(sims, 'GET', '/issuers/HANA/redemptions/restart-1')).body).toEqual(redemption.body);
    expect((await call(sims, 'GET', `/bank/transfers/${TRANSFER_DATE}/${transactionId}`)).body.status).toBe('COMPLETED');
    expect((await call(sims, 'POST', '/bank/accounts/real-name', { bankCode: account.bankCode, accountNumber: account.accountNumber })).body).toEqual({
      holderName: account.holderName,
      birthDate: account.birthDate,
    });
  });
});
