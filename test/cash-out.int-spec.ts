import { Client } from 'pg';
import { ErrorCodes } from '@pointsweep/contracts';
import { auditLedger } from '@pointsweep/conversion-ledger';
import { kstInstant, offsetClock } from '@pointsweep/messaging';
import { connectingInformation } from '@pointsweep/simulators';
import { waitFor } from './harness';
import { onboardPerson, TestPerson } from './system/person';
import { simulatorAdmin, startTestSystem, TestSystem } from './system/system';

// A Thursday that is a bank business day, at 10:00 KST: payouts are immediate whatever the real time.
const BUSINESS_MORNING = kstInstant('2026-11-26', '10:00');

describe('one cash-out end to end over Kafka', () => {
  let system: TestSystem;
  let person: TestPerson;
  let db: Client;

  beforeAll(async () => {
    system = await startTestSystem({ clock: offsetClock(BUSINESS_MORNING) });
    person = await onboardPerson(system.client, system.simulatorsUrl, ['SHINHAN', 'HYUNDAI']);
    db = new Client({ connectionString: system.database.url });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await system?.close();
  });

  it('shows the consented programs with their won value', async () => {
    const overview = await system.client.lookupPoints({ assertion: person.assertion }, person.personId);
    const programs = overview.programs.map((p) => p.program).sort();
    expect(programs).toEqual(['HYUNDAI_M', 'SHINHAN_MYSHINHAN']);
    const shinhan = overview.programs.find((p) => p.program === 'SHINHAN_MYSHINHAN')!;
    expect(shinhan.status).toBe('FRESH');
    expect(shinhan.wonValue).toBe(shinhan.balance);
    expect(overview.totalWon).toBe(overview.programs.reduce((sum, p) => sum + p.wonValue, 0));
  });

  it('pays 66 won for 100 Hyundai M-points, consuming 99, and records balanced append-only journals', async () => {
    const ci = connectingInformation(system.prefix, person.name, person.birthDate, person.phone);
    await simulatorAdmin(system.simulatorsUrl, `/admin/issuers/HYUNDAI/members/${ci}/programs/HYUNDAI_M`, { balance: 100 });

    const accepted = await system.client.cashOut(
      { assertion: person.assertion, requestId: 'req-hyundai-0001', accountId: person.accountId, parts: [{ program: 'HYUNDAI_M', points: 100 }] },
      person.personId,
    );
    expect(accepted.parts[0]).toMatchObject({ program: 'HYUNDAI_M', pointsRequested: 100, pointsConsumed: 99, won: 66, state: 'REDEEMING' });
    expect(accepted.acceptedAt).toBe(new Date(accepted.acceptedAt).toISOString());

    const settled = await waitFor(
      async () => {
        const view = await system.client.cashOutStatus({ assertion: person.assertion, cashOutId: accepted.cashOutId }, person.personId);
        return view.state !== 'IN_PROGRESS' && view;
      },
      { timeoutMs: 60000, intervalMs: 200, description: 'the cash-out to reach a terminal state' },
    );
    expect(settled.state).toBe('COMPLETED');
    expect(settled.parts[0]).toMatchObject({ state: 'PAID', won: 66 });
    expect(settled.parts[0].bankTransactionId).toMatch(/^[0-9A-Z]{10}U[0-9A-Z]{9}$/);

    const transfers: { accountNumber: string; amountWon: number }[] = await (await fetch(`${system.simulatorsUrl}/admin/bank/transfers`)).json();
    const mine = transfers.filter((t) => t.accountNumber === person.accountNumber);
    expect(mine.map((t) => t.amountWon)).toEqual([66]);

    const points = await (await fetch(`${system.simulatorsUrl}/issuers/HYUNDAI/members/${ci}/points`)).json();
    expect(points.programs[0].balance).toBe(1);

    const journals = await db.query(
      `SELECT j.kind, e.unit, sum(e.amount)::bigint AS net, count(*) AS lines
         FROM ledger.ledger_journals j JOIN ledger.ledger_entries e ON e.journal_id = j.id
        WHERE j.part_id = $1 GROUP BY j.kind, e.unit ORDER BY j.kind, e.unit`,
      [settled.parts[0].partId],
    );
    expect(journals.rows.map((r) => [r.kind, r.unit, Number(r.net)])).toEqual([
      ['PAYOUT', 'KRW', 0],
      ['REDEMPTION', 'KRW', 0],
      ['REDEMPTION', 'POINTS:HYUNDAI_M', 0],
    ]);
    const payable = await db.query(`SELECT balance FROM ledger.account_balances WHERE account = 'bank-cash' AND unit = 'KRW'`);
    expect(Number(payable.rows[0].balance)).toBe(-66);
  });

  it('refuses to update or delete ledger entries in the database itself', async () => {
    await expect(db.query(`UPDATE ledger.ledger_entries SET amount = amount + 1`)).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM ledger.ledger_entries`)).rejects.toThrow(/append-only/);
    await expect(db.query(`UPDATE ledger.ledger_journals SET kind = 'X'`)).rejects.toThrow(/append-only/);
    await expect(db.query(`TRUNCATE ledger.ledger_entries`)).rejects.toThrow(/append-only/);
  });

  it('returns the first result for a repeated request id and refuses it with other content', async () => {
    const again = await system.client.cashOut(
      { assertion: person.assertion, requestId: 'req-hyundai-0001', accountId: person.accountId, parts: [{ program: 'HYUNDAI_M', points: 100 }] },
      person.personId,
    );
    expect(again.state).toBe('COMPLETED');
    await expect(
      system.client.cashOut(
        { assertion: person.assertion, requestId: 'req-hyundai-0001', accountId: person.accountId, parts: [{ program: 'HYUNDAI_M', points: 90 }] },
        person.personId,
      ),
    ).rejects.toMatchObject({ code: ErrorCodes.requestIdReused });
  });

  it('refuses a second cash-out of the same program on the same KST day', async () => {
    await expect(
      system.client.cashOut(
        { assertion: person.assertion, requestId: 'req-hyundai-0002', accountId: person.accountId, parts: [{ program: 'HYUNDAI_M', points: 30 }] },
        person.personId,
      ),
    ).rejects.toMatchObject({ code: ErrorCodes.dailyLimit });
  });

  it('refuses a payout to an account that is not the person\'s', async () => {
    const other = await onboardPerson(system.client, system.simulatorsUrl, ['SHINHAN']);
    await expect(
      system.client.cashOut(
        { assertion: person.assertion, requestId: 'req-not-mine-01', accountId: other.accountId, parts: [{ program: 'SHINHAN_MYSHINHAN', points: 1000 }] },
        person.personId,
      ),
    ).rejects.toMatchObject({ code: ErrorCodes.accountNotOwn });
  });

  it('stops querying a card company once consent is revoked', async () => {
    await system.client.revokeConsent({ assertion: person.assertion, issuer: 'SHINHAN' }, person.personId);
    const overview = await waitFor(async () => {
      const o = await system.client.lookupPoints({ assertion: person.assertion }, person.personId);
      return !o.programs.some((p) => p.program === 'SHINHAN_MYSHINHAN') && o;
    }, { description: 'SHINHAN to disappear from the lookup' });
    expect(overview.programs.map((p) => p.program)).toEqual(['HYUNDAI_M']);
    await system.client.grantConsent({ assertion: person.assertion, issuer: 'SHINHAN' }, person.personId);
  });

  it('fails a part whose card company\'s consent was revoked, and the card company keeps its points', async () => {
    const revoker = await onboardPerson(system.client, system.simulatorsUrl, ['LOTTE']);
    const before = await system.client.lookupPoints({ assertion: revoker.assertion }, revoker.personId);
    const lotte = before.programs.find((p) => p.program === 'LOTTE_LPOINT')!;
    await system.client.revokeConsent({ assertion: revoker.assertion, issuer: 'LOTTE' }, revoker.personId);
    await waitFor(async () => {
      const o = await system.client.lookupPoints({ assertion: revoker.assertion }, revoker.personId);
      return !o.programs.some((p) => p.program === 'LOTTE_LPOINT');
    }, { description: 'LOTTE to disappear from the lookup' });

    const accepted = await system.client.cashOut(
      { assertion: revoker.assertion, requestId: 'req-revoked-0001', accountId: revoker.accountId, parts: [{ program: 'LOTTE_LPOINT', points: lotte.balance }] },
      revoker.personId,
    );
    const settled = await waitFor(async () => {
      const view = await system.client.cashOutStatus({ assertion: revoker.assertion, cashOutId: accepted.cashOutId }, revoker.personId);
      return view.state !== 'IN_PROGRESS' && view;
    }, { timeoutMs: 60000, intervalMs: 200, description: 'the cash-out to end' });
    expect(settled.parts[0]).toMatchObject({ state: 'FAILED', failureCode: ErrorCodes.noConsent });
    const ci = connectingInformation(system.prefix, revoker.name, revoker.birthDate, revoker.phone);
    const held = await fetch(`${system.simulatorsUrl}/issuers/LOTTE/members/${ci}/points`).then((r) => r.json()) as { programs: { program: string; balance: number }[] };
    expect(held.programs.find((p) => p.program === 'LOTTE_LPOINT')?.balance).toBe(lotte.balance);
  });

  it('keeps the ledger auditable: every invariant holds after the flows above', async () => {
    const report = await auditLedger({ databaseUrl: system.database.url, schema: 'ledger', requireTerminal: true });
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('refuses a command with a forged identity assertion', async () => {
    const forged = person.assertion.slice(0, -4) + (person.assertion.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    await expect(system.client.lookupPoints({ assertion: forged }, person.personId)).rejects.toMatchObject({ code: ErrorCodes.assertionInvalid });
  });

  it('tells the client that asked once every part has its outcome, without a status poll', async () => {
    const sweeper = await onboardPerson(system.client, system.simulatorsUrl, ['KB', 'SAMSUNG']);
    const overview = await system.client.lookupPoints({ assertion: sweeper.assertion }, sweeper.personId);
    const accepted = await system.client.cashOut(
      { assertion: sweeper.assertion, requestId: 'req-notice-0001', accountId: sweeper.accountId, parts: overview.programs.map((p) => ({ program: p.program, points: p.balance })) },
      sweeper.personId,
    );
    const before = { ...system.client.resolvedBy };

    const resolved = await system.client.awaitCashOutResolved(
      { assertion: sweeper.assertion, cashOutId: accepted.cashOutId }, sweeper.personId, { timeoutMs: 60_000, fallbackPollMs: 600_000 },
    );

    expect(system.client.resolvedBy).toEqual({ notice: before.notice + 1, poll: before.poll });
    expect(resolved.cashOutId).toBe(accepted.cashOutId);
    // Samsung pays out only on the next business day; KB before its 20:00 cut-off, now. (After the audit above,
    // which wants every part terminal.)
    expect(Object.fromEntries(resolved.parts.map((p) => [p.program, p.state]))).toEqual({ KB_POINTREE: 'PAID', SAMSUNG_BONUS: 'SCHEDULED' });
    expect(resolved).toEqual(await system.client.cashOutStatus({ assertion: sweeper.assertion, cashOutId: accepted.cashOutId }, sweeper.personId));
  });
});
