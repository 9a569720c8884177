import { randomInt, randomUUID } from 'node:crypto';
import { CashOutView } from '@pointsweep/contracts';
import { PointsweepClient } from './client';

/** Calls the simulators' admin API (stand-ins for the outside world), as a demo or a test does. */
export async function simulatorAdmin(url: string, path: string, body: unknown, method = 'PUT'): Promise<any> {
  const response = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${await response.text()}`);
  return response.json().catch(() => undefined);
}

/** Reads the one-time code the carrier "sent" to a phone (the simulator's inbox stands in for the handset). */
export async function readSmsCode(url: string, phone: string): Promise<string> {
  const response = await fetch(`${url}/carrier/inbox/${phone}`);
  if (!response.ok) throw new Error(`no SMS for ${phone}: ${response.status}`);
  return ((await response.json()) as { code: string }).code;
}

export interface OnboardedPerson {
  name: string;
  birthDate: string;
  phone: string;
  personId: string;
  assertion: string;
  accountId: string;
  accountNumber: string;
}

/** A fresh person: verified by phone, consenting to the given card companies, with an own-name account at the bank. */
export async function onboardPerson(
  client: PointsweepClient,
  simulatorsUrl: string,
  issuers: string[],
  who: { name?: string; birthDate?: string } = {},
): Promise<OnboardedPerson> {
  const phone = `010${randomInt(10_000_000, 99_999_999)}`;
  const name = who.name ?? '김민지';
  const birthDate = who.birthDate ?? '1990-04-01';
  const started = await client.startVerification({ name, birthDate, carrier: 'SKT', phone });
  const code = await readSmsCode(simulatorsUrl, phone);
  const verified = await client.confirmVerification({ verificationId: started.verificationId, code });
  if (issuers.length > 0) await client.grantConsents({ assertion: verified.assertion, issuers }, verified.personId);
  const accountNumber = `1002${randomInt(10_000_000, 99_999_999)}`;
  await simulatorAdmin(simulatorsUrl, '/admin/bank/accounts', { bankCode: '020', accountNumber, holderName: name, birthDate });
  const account = await client.registerPayoutAccount({ assertion: verified.assertion, bankCode: '020', accountNumber }, verified.personId);
  if (account.status !== 'VERIFIED') throw new Error(`account not verified: ${account.reason}`);
  return { name, birthDate, phone, personId: verified.personId, assertion: verified.assertion, accountId: account.accountId, accountNumber };
}

/** Polls the cash-out until every part is terminal. */
export async function awaitCashOut(client: PointsweepClient, person: OnboardedPerson, cashOutId: string, timeoutMs = 60000): Promise<CashOutView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await client.cashOutStatus({ assertion: person.assertion, cashOutId }, person.personId);
    if (view.state !== 'IN_PROGRESS') return view;
    if (Date.now() > deadline) throw new Error(`cash-out ${cashOutId} still in progress after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The README's demo: a fresh person verifies, looks up their points and sweeps one program into their account. */
export async function runDemo(client: PointsweepClient, simulatorsUrl: string, print: (line: string) => void): Promise<CashOutView> {
  print('1. verifying a fresh person by phone, granting consent to SHINHAN and HYUNDAI, registering an own-name account');
  const person = await onboardPerson(client, simulatorsUrl, ['SHINHAN', 'HYUNDAI']);
  print(`   person ${person.personId}, payout account ${person.accountId} verified by the bank's real-name check`);
  print('2. looking up points');
  const overview = await client.lookupPoints({ assertion: person.assertion }, person.personId);
  for (const p of overview.programs) print(`   ${p.program.padEnd(18)} ${String(p.balance).padStart(7)} points = ${String(p.wonValue).padStart(7)} won (${p.status})`);
  const hyundai = overview.programs.find((p) => p.program === 'HYUNDAI_M' && p.balance > 0) ?? overview.programs.find((p) => p.wonValue > 0);
  if (!hyundai) throw new Error('the demo person holds no cashable points');
  print(`3. cashing out ${hyundai.balance} ${hyundai.program} points`);
  const accepted = await client.cashOut(
    { assertion: person.assertion, requestId: `demo-${randomUUID()}`, accountId: person.accountId, parts: [{ program: hyundai.program, points: hyundai.balance }] },
    person.personId,
  );
  const part = accepted.parts[0];
  print(`   accepted at ${accepted.acceptedAt}: ${part.pointsConsumed} points consumed for ${part.won} won`);
  const settled = await awaitCashOut(client, person, accepted.cashOutId);
  for (const p of settled.parts) print(`4. ${p.program}: ${p.state}, ${p.won} won, bank transaction ${p.bankTransactionId ?? '-'}${p.failureCode ? ` (${p.failureCode})` : ''}`);
  return settled;
}
