import { Client } from 'pg';
import { PROGRAMS } from '@pointsweep/contracts';
import { auditLedger } from '@pointsweep/conversion-ledger';
import { kstInstant, offsetClock } from '@pointsweep/messaging';
import { connectingInformation } from '@pointsweep/simulators';
import { awaitCashOut, OnboardedPerson, onboardPerson, simulatorAdmin } from '@pointsweep/client';
import { randomName } from './harness';
import { startTestSystem, TestSystem } from './system/system';

// Short timeouts so faults resolve within a test; the rules are the production ones.
process.env.REDEMPTION_SETTLE_MS = '3000';
process.env.PAYOUT_TRANSFER_TIMEOUT_MS = '1000';
process.env.PAYOUT_INQUIRY_TIMEOUT_MS = '1000';
process.env.PAYOUT_BASE_DELAY_MS = '200';
process.env.PAYOUT_LEASE_MS = '5000';

const BUSINESS_MORNING = kstInstant('2026-11-26', '10:00');
const ALL_ISSUERS = [...new Set(PROGRAMS.map((p) => p.issuer))];

describe('the cash-out saga across all card companies and the bank', () => {
  let system: TestSystem;
  let db: Client;

  beforeAll(async () => {
    system = await startTestSystem({ clock: offsetClock(BUSINESS_MORNING) });
    db = new Client({ connectionString: system.database.url });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await system?.close();
  });

  const ciOf = (p: OnboardedPerson) => connectingInformation(system.prefix, p.name, p.birthDate, p.phone);
  const transfersTo = async (accountNumber: string) => {
    const all: { accountNumber: string; amountWon: number; status: string }[] = await (await fetch(`${system.simulatorsUrl}/admin/bank/transfers`)).json();
    return all.filter((t) => t.accountNumber === accountNumber);
  };
  const balanceAt = async (issuer: string, program: string, ci: string) => {
    const body = await (await fetch(`${system.simulatorsUrl}/issuers/${issuer}/members/${ci}/points`)).json();
    return body.programs.find((p: { program: string }) => p.program === program).balance as number;
  };

  it('sweeps all twelve programs: nine pay now, the three next-day issuers after release', async () => {
    const person = await onboardPerson(system.client, system.simulatorsUrl, ALL_ISSUERS);
    const overview = await system.client.lookupPoints({ assertion: person.assertion }, person.personId);
    expect(overview.programs.map((p) => p.program).sort()).toEqual(PROGRAMS.map((p) => p.program).sort());
    expect(overview.programs.every((p) => p.status === 'FRESH')).toBe(true);

    const quote = await system.client.quoteCashOut(
      { assertion: person.assertion, accountId: person.accountId, parts: overview.programs.map((p) => ({ program: p.program, points: p.balance })) },
      person.personId,
    );
    expect(quote.parts.filter((p) => p.payout === 'SCHEDULED').map((p) => p.program).sort()).toEqual(['CITI_POINT', 'POST_POINT', 'SAMSUNG_BONUS']);
    const accepted = await system.client.confirmQuote({ assertion: person.assertion, requestId: randomName('sweep'), quoteId: quote.quoteId }, person.personId);
    expect(accepted.parts.map((p) => [p.program, p.pointsConsumed, p.won]).sort()).toEqual(
      quote.parts.map((p) => [p.program, p.pointsConsumed, p.won]).sort(),
    );

    // The answer to the acceptance is the same view a status request reads back, parts in the same order.
    const first = await system.client.cashOutStatus({ assertion: person.assertion, cashOutId: accepted.cashOutId }, person.personId);
    const withoutProgress = (view: typeof accepted) => ({ ...view, state: undefined, parts: view.parts.map((p) => ({ ...p, state: undefined, bankTransactionId: undefined, payoutFrom: undefined })) });
    expect(withoutProgress(first)).toEqual(withoutProgress(accepted));
    expect(accepted.parts.every((p) => p.state === 'REDEEMING')).toBe(true);

    // Told, not polled: the quote's client hears once every part has its outcome (a fallback poll would take 10 min).
    const told = { ...system.client.resolvedBy };
    const scheduled = await system.client.awaitCashOutResolved(
      { assertion: person.assertion, cashOutId: accepted.cashOutId }, person.personId, { timeoutMs: 60000, fallbackPollMs: 600_000 },
    );
    expect(system.client.resolvedBy).toEqual({ notice: told.notice + 1, poll: told.poll });
    const states = scheduled.parts.map((p) => p.state);
    expect([states.filter((s) => s === 'PAID').length, states.filter((s) => s === 'SCHEDULED').length]).toEqual([9, 3]);
    expect(scheduled.state).toBe('IN_PROGRESS');

    const released = await system.client.releaseDuePayouts({ operator: 'ops.test' });
    expect(released.released).toBeGreaterThanOrEqual(3);
    const settled = await awaitCashOut(system.client, person, accepted.cashOutId, 60000);
    expect(settled.state).toBe('COMPLETED');
    const paid = await transfersTo(person.accountNumber);
    expect(paid.reduce((sum, t) => sum + t.amountWon, 0)).toBe(quote.totalWon);
    expect(paid).toHaveLength(12);
  });

  it('keeps paying the other card companies while one is down, and the failed part does not use up the day', async () => {
    const person = await onboardPerson(system.client, system.simulatorsUrl, ['SHINHAN', 'LOTTE']);
    await system.client.lookupPoints({ assertion: person.assertion }, person.personId); // a snapshot to fall back on
    await simulatorAdmin(system.simulatorsUrl, '/admin/issuers/LOTTE/faults', { outage: true });
    try {
      const overview = await system.client.lookupPoints({ assertion: person.assertion }, person.personId);
      expect(overview.programs.find((p) => p.program === 'LOTTE_LPOINT')!.status).toBe('STALE');
      expect(overview.programs.find((p) => p.program === 'SHINHAN_MYSHINHAN')!.status).toBe('FRESH');

      const accepted = await system.client.cashOut(
        { assertion: person.assertion, requestId: randomName('down'), accountId: person.accountId, parts: [{ program: 'SHINHAN_MYSHINHAN', points: 1000 }, { program: 'LOTTE_LPOINT', points: 1000 }] },
        person.personId,
      );
      const settled = await awaitCashOut(system.client, person, accepted.cashOutId, 60000);
      expect(settled.state).toBe('PARTIALLY_FAILED');
      expect(settled.parts.find((p) => p.program === 'SHINHAN_MYSHINHAN')!.state).toBe('PAID');
      expect(settled.parts.find((p) => p.program === 'LOTTE_LPOINT')).toMatchObject({ state: 'FAILED', failureCode: 'ISSUER_UNAVAILABLE' });
    } finally {
      await simulatorAdmin(system.simulatorsUrl, '/admin/issuers/LOTTE/faults', {});
    }
    const retried = await system.client.cashOut(
      { assertion: person.assertion, requestId: randomName('retry'), accountId: person.accountId, parts: [{ program: 'LOTTE_LPOINT', points: 1000 }] },
      person.personId,
    );
    expect((await awaitCashOut(system.client, person, retried.cashOutId, 60000)).state).toBe('COMPLETED');
  });

  it('answers a lookup within its budget while a card company hangs, showing it stale and the rest fresh', async () => {
    const person = await onboardPerson(system.client, system.simulatorsUrl, ['KB', 'BC', 'HANA']);
    await system.client.lookupPoints({ assertion: person.assertion }, person.personId);
    await simulatorAdmin(system.simulatorsUrl, '/admin/issuers/BC/faults', { latencyMs: 60000 });
    try {
      const overview = await system.client.lookupPoints({ assertion: person.assertion }, person.personId);
      const status = Object.fromEntries(overview.programs.map((p) => [p.program, p.status]));
      expect(status).toEqual({ KB_POINTREE: 'FRESH', BC_TOP: 'STALE', HANA_MONEY: 'FRESH' });
      expect(overview.programs.find((p) => p.program === 'BC_TOP')!.asOf).not.toBeNull();
    } finally {
      await simulatorAdmin(system.simulatorsUrl, '/admin/issuers/BC/faults', {});
    }
  });

  it.each([
    ['the transfer was made', 'timeout-after-transfer'],
    ['the transfer was not made', 'timeout-before-transfer'],
  ])('pays exactly once after a bank timeout when %s', async (_case, mode) => {
    const person = await onboardPerson(system.client, system.simulatorsUrl, ['KB']);
    await simulatorAdmin(system.simulatorsUrl, '/admin/bank/faults', { mode, count: 1, hangMs: 2500 });
    try {
      const accepted = await system.client.cashOut(
        { assertion: person.assertion, requestId: randomName('timeout'), accountId: person.accountId, parts: [{ program: 'KB_POINTREE', points: 1200 }] },
        person.personId,
      );
      const settled = await awaitCashOut(system.client, person, accepted.cashOutId, 60000);
      expect(settled.state).toBe('COMPLETED');
      const paid = await transfersTo(person.accountNumber);
      expect(paid.filter((t) => t.status === 'COMPLETED').map((t) => t.amountWon)).toEqual([1200]);
    } finally {
      await simulatorAdmin(system.simulatorsUrl, '/admin/bank/faults', { mode: 'none' });
    }
  });

  it('settles a redemption whose answer was lost by inquiry, deducting the points once', async () => {
    const person = await onboardPerson(system.client, system.simulatorsUrl, ['WOORI']);
    const ci = ciOf(person);
    const before = await balanceAt('WOORI', 'WOORI_WIBEE', ci);
    // The card company applies the next redemption, then answers 500: the caller cannot know it happened.
    await simulatorAdmin(system.simulatorsUrl, '/admin/issuers/WOORI/faults', { errorRate: 1, errorAfterApply: true, count: 1 });
    const accepted = await system.client.cashOut(
      { assertion: person.assertion, requestId: randomName('lost'), accountId: person.accountId, parts: [{ program: 'WOORI_WIBEE', points: 800 }] },
      person.personId,
    );
    const settled = await awaitCashOut(system.client, person, accepted.cashOutId, 60000);
    expect(settled.state).toBe('COMPLETED');
    expect(await balanceAt('WOORI', 'WOORI_WIBEE', ci)).toBe(before - 800);
    expect((await transfersTo(person.accountNumber)).map((t) => t.amountWon)).toEqual([800]);
  });

  it('refunds the points to the card company when the bank refuses the account for good', async () => {
    const person = await onboardPerson(system.client, system.simulatorsUrl, ['NH']);
    const before = await balanceAt('NH', 'NH_POINT', ciOf(person));
    await simulatorAdmin(system.simulatorsUrl, '/admin/bank/accounts', {
      bankCode: '020', accountNumber: person.accountNumber, holderName: person.name, birthDate: person.birthDate, canReceive: false,
    });
    const accepted = await system.client.cashOut(
      { assertion: person.assertion, requestId: randomName('refund'), accountId: person.accountId, parts: [{ program: 'NH_POINT', points: 700 }] },
      person.personId,
    );
    const settled = await awaitCashOut(system.client, person, accepted.cashOutId, 60000);
    expect(settled.parts[0]).toMatchObject({ state: 'FAILED', failureCode: expect.stringContaining('0022') });
    expect(await balanceAt('NH', 'NH_POINT', ciOf(person))).toBe(before);
    const kinds = await db.query(`SELECT kind FROM ledger.ledger_journals WHERE part_id = $1 ORDER BY kind`, [settled.parts[0].partId]);
    expect(kinds.rows.map((r) => r.kind)).toEqual(['REDEMPTION', 'REDEMPTION_REVERSAL']);
  });

  it('passes the ledger audit after all of the above, and fails it on a tampered copy', async () => {
    const report = await auditLedger({ databaseUrl: system.database.url, schema: 'ledger', requireTerminal: true });
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);

    // A copy without the append-only triggers, so it can be tampered with like a stolen backup.
    await db.query(`CREATE SCHEMA ledger_copy`);
    for (const table of ['ledger_journals', 'ledger_entries', 'ledger_shard_heads', 'account_balances', 'cash_out_parts']) {
      await db.query(`CREATE TABLE ledger_copy.${table} AS TABLE ledger.${table}`);
    }
    await db.query(`UPDATE ledger_copy.ledger_entries SET amount = amount + 1 WHERE ctid = (SELECT ctid FROM ledger_copy.ledger_entries WHERE account = 'bank-cash' LIMIT 1)`);
    const tampered = await auditLedger({ databaseUrl: system.database.url, schema: 'ledger_copy' });
    expect(tampered.ok).toBe(false);
    expect(tampered.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(
      expect.arrayContaining(['every journal balances per unit', 'hash chains are intact', 'balances equal a rebuild from the ledger']),
    );
  });
});
