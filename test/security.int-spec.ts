import { randomInt, randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { ErrorCodes, MessageEnvelope, messageDefinition } from '@pointsweep/contracts';
import {
  AssertionSigner, buildEnvelope, DeadLetter, EnvelopeSigner, flushLogLines, generateKeyRing, idempotentProducer, JsonLogger, KeyRing, kstInstant, offsetClock, readDeadLetters,
  replayDeadLetters, RunningService, Sealer, selectDeadLetters,
} from '@pointsweep/messaging';
import { identityService } from '@pointsweep/identity';
import { PointsweepClient, SIGNING_KEYS_REQUIRED } from '@pointsweep/client';
import { kafkaBrokers, randomName, waitFor } from './harness';
import { onboardPerson, TestPerson } from './system/person';
import { readSmsCode, simulatorAdmin, startTestSystem, TestSystem } from './system/system';

const BUSINESS_MORNING = kstInstant('2026-11-26', '10:00');
const SCHEMAS = ['identity', 'issuer', 'ledger', 'settlement'];

/** A name no fixture uses, so finding it anywhere means it leaked. */
function uniqueName(): string {
  return `보안${Array.from({ length: 3 }, () => String.fromCharCode(0xac00 + randomInt(0, 11172))).join('')}`;
}

/** Every row of every table of the services' schemas, as text. */
async function allRows(db: Client): Promise<{ table: string; text: string }[]> {
  const tables = await db.query(
    `SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE'`, [SCHEMAS]);
  const rows: { table: string; text: string }[] = [];
  for (const t of tables.rows) {
    const result = await db.query(`SELECT t::text AS text FROM "${t.table_schema}"."${t.table_name}" t`);
    for (const r of result.rows) rows.push({ table: `${t.table_schema}.${t.table_name}`, text: r.text });
  }
  return rows;
}

/** Every message now on the topics of this prefix, read from the start to the current end. */
async function allMessages(prefix: string): Promise<{ topic: string; value: string }[]> {
  const kafka = new Kafka({ brokers: kafkaBrokers(), clientId: 'security-scan', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
  const remaining = new Map<string, bigint>();
  for (const topic of topics) {
    for (const o of await admin.fetchTopicOffsets(topic)) if (BigInt(o.high) > BigInt(o.low)) remaining.set(`${topic}/${o.partition}`, BigInt(o.high));
  }
  await admin.disconnect();
  const messages: { topic: string; value: string }[] = [];
  if (remaining.size === 0) return messages;
  const consumer = kafka.consumer({ groupId: randomName('security-scan'), maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const key = `${topic}/${partition}`;
        const high = remaining.get(key);
        if (high === undefined || BigInt(message.offset) >= high) return;
        messages.push({ topic, value: message.value?.toString('utf8') ?? '' });
        if (BigInt(message.offset) + 1n >= high) remaining.delete(key);
        if (remaining.size === 0) resolve();
      },
    });
  });
  await consumer.disconnect();
  return messages;
}

function refusalOf(promise: Promise<unknown>): Promise<string> {
  return promise.then((v) => `accepted: ${JSON.stringify(v)}`, (e: { code?: string; message: string }) => e.code ?? e.message);
}

describe('attackers', () => {
  let system: TestSystem;
  let alice: TestPerson;
  let bob: TestPerson;
  let db: Client;
  const written: string[] = [];
  let restore: (() => void) | undefined;

  const savedLogLevel = process.env.LOG_LEVEL;

  beforeAll(async () => {
    // The most talkative level, so the search covers every log line any code path has.
    process.env.LOG_LEVEL = 'debug';
    system = await startTestSystem({ clock: offsetClock(BUSINESS_MORNING) });
    // Everything any part of the system writes to stdout or stderr from here on is kept and searched.
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    const capture = (chunk: unknown) => {
      written.push(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
      return true;
    };
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    restore = () => {
      process.stdout.write = out;
      process.stderr.write = err;
    };
    alice = await onboardPerson(system.client, system.simulatorsUrl, ['SHINHAN', 'KB'], { name: uniqueName(), birthDate: '1988-02-29' });
    bob = await onboardPerson(system.client, system.simulatorsUrl, ['SHINHAN'], { name: uniqueName(), birthDate: '1979-12-31' });
    db = new Client({ connectionString: system.database.url });
    await db.connect();
  });

  afterAll(async () => {
    restore?.();
    await db?.end();
    await system?.close();
    if (savedLogLevel === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = savedLogLevel;
  });

  describe('identity assertions', () => {
    it('refuses a forged assertion: tampered signature, tampered claims, or signed with a key the system does not know', async () => {
      const [head, body, signature] = alice.assertion.split('.');
      const tamperedSignature = `${head}.${body}.${signature.slice(0, -4)}${signature.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
      const tamperedClaims = `${head}.${Buffer.from(JSON.stringify({ ...claims, sub: bob.personId })).toString('base64url')}.${signature}`;
      const foreignRing = generateKeyRing();
      foreignRing.signing[0].id = system.keys.signing[0].id; // even claiming the real key id
      const foreign = new AssertionSigner(foreignRing).sign(alice.personId, BUSINESS_MORNING, 1800).token;
      for (const assertion of [tamperedSignature, tamperedClaims, foreign, 'not.an.assertion-at-all']) {
        expect(await refusalOf(system.client.lookupPoints({ assertion }, alice.personId))).toBe(ErrorCodes.assertionInvalid);
        expect(await refusalOf(system.client.cashOut(
          { assertion, requestId: `forged-${randomUUID()}`, accountId: alice.accountId, parts: [{ program: 'SHINHAN_MYSHINHAN', points: 10 }] }, alice.personId,
        ))).toBe(ErrorCodes.assertionInvalid);
        expect(await refusalOf(system.client.grantConsent({ assertion, issuer: 'HANA' }, alice.personId))).toBe(ErrorCodes.assertionInvalid);
      }
    });

    it('refuses an expired assertion, signed with the real key at a past time', async () => {
      const expired = new AssertionSigner(system.keys).sign(alice.personId, new Date(BUSINESS_MORNING.getTime() - 31 * 60_000), 30 * 60).token;
      expect(await refusalOf(system.client.lookupPoints({ assertion: expired }, alice.personId))).toBe(ErrorCodes.assertionExpired);
      expect(await refusalOf(system.client.cashOut(
        { assertion: expired, requestId: `expired-${randomUUID()}`, accountId: alice.accountId, parts: [{ program: 'SHINHAN_MYSHINHAN', points: 10 }] }, alice.personId,
      ))).toBe(ErrorCodes.assertionExpired);
      expect(await refusalOf(system.client.registerPayoutAccount({ assertion: expired, bankCode: '020', accountNumber: alice.accountNumber }, alice.personId)))
        .toBe(ErrorCodes.assertionExpired);
    });

    it('acts only for the person in the assertion: Bob\'s assertion cannot pay into Alice\'s account nor read her cash-outs', async () => {
      expect(await refusalOf(system.client.cashOut(
        { assertion: bob.assertion, requestId: `bob-as-alice-${randomUUID()}`, accountId: alice.accountId, parts: [{ program: 'SHINHAN_MYSHINHAN', points: 10 }] },
        alice.personId, // keyed as Alice: the key is routing, not identity
      ))).toBe(ErrorCodes.accountNotOwn);
      const mine = await system.client.cashOut(
        { assertion: alice.assertion, requestId: `alice-${randomUUID()}`, accountId: alice.accountId, parts: [{ program: 'SHINHAN_MYSHINHAN', points: 10 }] }, alice.personId,
      );
      expect(await refusalOf(system.client.cashOutStatus({ assertion: bob.assertion, cashOutId: mine.cashOutId }, alice.personId))).toBe(ErrorCodes.notFound);
    });
  });

  describe('messages only a service or an operator may send', () => {
    it('refuses a RedeemPoints, RequestPayout, ConsentGranted or ReleaseDuePayouts written by someone without the key ring, with no effect', async () => {
      const kafka = new Kafka({ brokers: kafkaBrokers(), clientId: 'forger', logLevel: logLevel.NOTHING });
      const producer = idempotentProducer(kafka);
      await producer.connect();
      const topics = system.services.get('identity')!.runtime.topics;
      const balancesOf = async (p: TestPerson) =>
        (await system.client.lookupPoints({ assertion: p.assertion }, p.personId)).programs.map((x) => `${x.program}:${x.balance}`);
      const before = await balancesOf(alice);
      const outsider = new EnvelopeSigner(generateKeyRing());
      const edgeClient = await PointsweepClient.connect({ brokers: kafkaBrokers(), topicPrefix: system.prefix });
      const forge = (type: string, payload: object, key: string) => buildEnvelope(messageDefinition(type)!, payload, { key });
      const forged = [
        // Alice's points redeemed with nothing paid out for them.
        forge('RedeemPoints', { partId: randomUUID(), personId: alice.personId, program: 'SHINHAN_MYSHINHAN', points: 1000, idempotencyKey: `forged-${randomUUID()}` }, alice.personId),
        // Money into an account of the forger's choosing.
        forge('RequestPayout', {
          partId: randomUUID(), personId: bob.personId, accountId: bob.accountId, amountWon: 1_000_000, issuer: 'SHINHAN',
          acceptedAt: BUSINESS_MORNING.toISOString(), bankCode: '020', sealedAccountNumber: new Sealer(generateKeyRing()).seal('1002999999999'),
        }, bob.personId),
        // Bob's consent to a card company he never consented to.
        forge('ConsentGranted', { personId: bob.personId, ci: 'Rm9yZ2VkQ2lGb3JnZWRDaQ', issuer: 'KB' }, bob.personId),
        // Scheduled payouts released before their day.
        forge('ReleaseDuePayouts', { operator: 'mallory' }, 'operator:mallory'),
      ];
      try {
        for (const envelope of forged) {
          const topic = topics[messageDefinition(envelope.type)!.topic];
          for (const copy of [envelope, outsider.sign({ ...envelope, id: randomUUID() })]) {
            await producer.send({ topic, acks: -1, messages: [{ key: copy.key, value: JSON.stringify(copy) }] });
          }
        }
        const deadLetters = await waitFor(async () => {
          const all = (await readDeadLetters(kafka, topics.deadLetter)).filter((r) => r.deadLetter.reason.code === 'MESSAGE_NOT_AUTHENTIC');
          return all.length >= forged.length * 2 ? all : undefined;
        }, { timeoutMs: 30_000, intervalMs: 500, description: 'every forged message dead-lettered' });
        expect(new Set(deadLetters.map((r) => r.deadLetter.messageType))).toEqual(new Set(['RedeemPoints', 'RequestPayout', 'ConsentGranted', 'ReleaseDuePayouts']));
        for (const r of deadLetters) expect(r.deadLetter.reason.message).toMatch(/may only be sent by an? (service|operator): (it carries no signature|it is signed with an unknown key)/);
        // Nothing happened: Alice's points are where they were, Bob still has no KB consent, no payout or release was made.
        expect(await balancesOf(alice)).toEqual(before);
        expect((await balancesOf(bob)).some((b) => b.startsWith('KB_'))).toBe(false);
        const payouts = await db.query(`SELECT count(*)::int AS n FROM settlement.payouts WHERE person_id = $1`, [bob.personId]);
        expect(payouts.rows[0].n).toBe(0);
        // An edge client has no key ring, so it cannot even ask.
        expect(await refusalOf(edgeClient.releaseDuePayouts({ operator: 'mallory' }))).toBe(SIGNING_KEYS_REQUIRED);
      } finally {
        await producer.disconnect();
        await edgeClient.close();
      }
    });
  });

  describe('payout accounts', () => {
    it('refuses a cash-out or a quote to any account that is not the person\'s own verified account', async () => {
      // A rejected account: the bank's holder is someone else.
      const accountNumber = `3333${randomInt(10_000_000, 99_999_999)}`;
      await simulatorAdmin(system.simulatorsUrl, '/admin/bank/accounts', { bankCode: '020', accountNumber, holderName: '남의이름', birthDate: '1970-01-01' });
      const rejected = await system.client.registerPayoutAccount({ assertion: alice.assertion, bankCode: '020', accountNumber }, alice.personId);
      expect(rejected.status).toBe('REJECTED');
      const attempts: [string, string][] = [
        ['another person\'s verified account', bob.accountId],
        ['an account the bank rejected', rejected.accountId],
        ['a random uuid', randomUUID()],
      ];
      for (const [, accountId] of attempts) {
        const parts = [{ program: 'SHINHAN_MYSHINHAN', points: 10 }];
        expect(await refusalOf(system.client.cashOut({ assertion: alice.assertion, requestId: `not-own-${randomUUID()}`, accountId, parts }, alice.personId)))
          .toBe(ErrorCodes.accountNotOwn);
        expect(await refusalOf(system.client.quoteCashOut({ assertion: alice.assertion, accountId, parts }, alice.personId))).toBe(ErrorCodes.accountNotOwn);
        expect(await refusalOf(system.client.cashOut({ assertion: alice.assertion, requestId: `not-own-${randomUUID()}`, accountId, parts }, bob.personId)))
          .toBe(ErrorCodes.accountNotOwn);
      }
      // Re-registering Bob's account number as Alice's fails the real-name check: it is Bob's name.
      const bobsNumber = await system.client.registerPayoutAccount({ assertion: alice.assertion, bankCode: '020', accountNumber: bob.accountNumber }, alice.personId);
      expect(bobsNumber).toMatchObject({ status: 'REJECTED', reason: 'HOLDER_NAME_MISMATCH' });
      expect(await refusalOf(system.client.cashOut(
        { assertion: alice.assertion, requestId: `not-own-${randomUUID()}`, accountId: bobsNumber.accountId, parts: [{ program: 'SHINHAN_MYSHINHAN', points: 10 }] },
        alice.personId,
      ))).toBe(ErrorCodes.accountNotOwn);
    });
  });

  describe('one-time codes', () => {
    it('answers a confirmation sent again (its reply was late) with the same person, and refuses it with another code', async () => {
      const phone = `010${randomInt(10_000_000, 99_999_999)}`;
      const started = await system.client.startVerification({ name: uniqueName(), birthDate: '1990-01-01', carrier: 'KT', phone });
      const code = await readSmsCode(system.simulatorsUrl, phone);
      const first = await system.client.confirmVerification({ verificationId: started.verificationId, code });
      const again = await system.client.confirmVerification({ verificationId: started.verificationId, code });
      expect(again.personId).toBe(first.personId);
      const wrong = code === '000000' ? '111111' : '000000';
      expect(await refusalOf(system.client.confirmVerification({ verificationId: started.verificationId, code: wrong }))).toBe(ErrorCodes.verificationFailed);
      // The repeated answer is a working assertion for that person.
      expect(await system.client.grantConsent({ assertion: again.assertion, issuer: 'KB' }, again.personId)).toMatchObject({ issuer: 'KB', status: 'GRANTED' });
      const persons = await db.query(`SELECT count(*)::int AS n FROM identity.persons WHERE id = $1`, [first.personId]);
      expect(persons.rows[0].n).toBe(1);
    });

    it('refuses the right code after 3 wrong ones, by identity\'s own limit (the carrier allows 5)', async () => {
      const phone = `010${randomInt(10_000_000, 99_999_999)}`;
      const started = await system.client.startVerification({ name: uniqueName(), birthDate: '1990-01-01', carrier: 'KT', phone });
      const code = await readSmsCode(system.simulatorsUrl, phone);
      const wrong = code === '000000' ? '111111' : '000000';
      for (let i = 0; i < 3; i++) {
        expect(await refusalOf(system.client.confirmVerification({ verificationId: started.verificationId, code: wrong }))).toBe(ErrorCodes.verificationFailed);
      }
      expect(await refusalOf(system.client.confirmVerification({ verificationId: started.verificationId, code }))).toBe('VERIFICATION_ATTEMPTS_EXCEEDED');
      const row = await db.query(`SELECT status, code_attempts FROM identity.verifications WHERE id = $1`, [started.verificationId]);
      expect(row.rows[0]).toEqual({ status: 'PENDING', code_attempts: 3 });
    });
  });

  describe('personal data', () => {
    const secretsOf = (p: TestPerson) => [p.name, p.phone, p.accountNumber];

    it('is encrypted at rest: no table of any service holds a name, phone or account number in plain text', async () => {
      const rows = await allRows(db);
      expect(rows.filter((r) => r.table === 'identity.persons').length).toBeGreaterThanOrEqual(2);
      const leaks = rows.filter((r) => [...secretsOf(alice), ...secretsOf(bob)].some((s) => r.text.includes(s)));
      expect(leaks).toEqual([]);
      const sealed = await db.query(`SELECT sealed_identity FROM identity.persons WHERE id = $1`, [alice.personId]);
      expect(sealed.rows[0].sealed_identity).toMatch(/^[^.]+\.[\w-]+\.[\w-]+\.[\w-]+$/);
    });

    it('never reaches a log line', async () => {
      // Onboarding, a lookup and a cash-out ran (and some refusals) while every write was captured.
      // And the logger masks personal data by field name wherever a caller passes it.
      new JsonLogger('probe').warn('a careless caller', { personName: alice.name, holderName: alice.name, phone: alice.phone, accountNumber: alice.accountNumber });
      flushLogLines(); // lines go out once per turn of the event loop; this one now
      expect(written.some((w) => w.includes('"service":'))).toBe(true);
      expect(written.some((w) => w.includes('a careless caller') && w.includes(alice.accountNumber.slice(-4)))).toBe(true);
      const text = written.join('');
      for (const secret of [...secretsOf(alice), ...secretsOf(bob)]) expect(text.includes(secret)).toBe(false);
    });

    it('travels in no message, outbox, inbox or dead letter, except the two edge commands that must carry it', async () => {
      // A dead letter of a command carrying personal data: its original is sealed.
      const envelope = buildEnvelope(messageDefinition('StartIdentityVerification')!,
        { name: alice.name, birthDate: alice.birthDate, carrier: 'SKT', phone: alice.phone, extra: 'not allowed' }, { key: 'pd-dead-letter' });
      const kafka = new Kafka({ brokers: kafkaBrokers(), clientId: 'security-pd', logLevel: logLevel.NOTHING });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: `${system.prefix}.identity.commands`, messages: [{ key: 'pd-dead-letter', value: JSON.stringify(envelope) }] });
      await producer.disconnect();
      await waitFor(async () => (await readDeadLetters(kafka, `${system.prefix}.dead-letter`)).some((r) => r.deadLetter.messageId === envelope.id),
        { timeoutMs: 60_000, intervalMs: 500, description: 'the dead letter of the command carrying personal data' });

      const messages = await allMessages(system.prefix);
      const EDGE_WITH_PD = new Set(['StartIdentityVerification', 'RegisterPayoutAccount']);
      const scanned = messages.filter((m) => {
        if (!m.topic.endsWith('.identity.commands')) return true;
        try {
          return !EDGE_WITH_PD.has((JSON.parse(m.value) as MessageEnvelope).type);
        } catch {
          return true;
        }
      });
      expect(scanned.length).toBeGreaterThan(20);
      const secrets = [...secretsOf(alice), ...secretsOf(bob)];
      expect(scanned.filter((m) => secrets.some((s) => m.value.includes(s))).map((m) => m.topic)).toEqual([]);
      const deadLetter = messages.find((m) => m.topic.endsWith('.dead-letter') && m.value.includes(envelope.id))!;
      const parsed = JSON.parse(deadLetter.value) as DeadLetter;
      expect(parsed.original).toBeNull();
      expect(parsed.sealedOriginal).toBeDefined();
      for (const schema of SCHEMAS) {
        for (const table of ['outbox', 'inbox']) {
          const rows = await db.query(`SELECT t::text AS text FROM "${schema}"."${table}" t`);
          expect(rows.rows.filter((r) => secrets.some((s) => r.text.includes(s)))).toEqual([]);
        }
      }
    });
  });

  describe('HTTP endpoints', () => {
    it('serve health and metrics only, and neither tells personal data', async () => {
      const secrets = [alice.name, alice.phone, alice.accountNumber, alice.personId, bob.personId];
      for (const service of system.services.values()) {
        for (const path of ['/', '/admin', '/api', '/persons', `/persons/${alice.personId}`, '/debug', '/env', '/.env', '/config', '/health/../admin', '/graphql', '/swagger']) {
          const response = await fetch(`${service.url}${path}`);
          expect([path, response.status]).toEqual([path, 404]);
        }
        for (const path of ['/health/live', '/health/ready', '/metrics']) {
          const response = await fetch(`${service.url}${path}`);
          expect([path, response.status]).toEqual([path, 200]);
          const body = await response.text();
          for (const s of secrets) expect(body.includes(s)).toBe(false);
        }
        expect((await fetch(`${service.url}/metrics`, { method: 'POST' })).status).toBe(404);
      }
    });
  });

  describe('key rotation', () => {
    it('keeps old assertions and old ciphertexts readable after a new signing and sealing key become first', async () => {
      const old = system.keys;
      const fresh = generateKeyRing();
      const rotated: KeyRing = { signing: [fresh.signing[0], ...old.signing], sealing: [fresh.sealing[0], ...old.sealing] };
      // Rolling restart of identity: the new instance joins before the old one leaves, so commands keep being served.
      const before = system.services.get('identity')!;
      system.config.keys = rotated;
      let after: RunningService;
      try {
        after = await system.start(identityService);
      } finally {
        system.config.keys = old;
      }
      await before.close();
      expect(after.name).toBe('identity');

      // Alice's assertion (old key) is accepted, and her sealed identity (old key) opens: the real-name check needs it.
      const granted = await system.client.grantConsent({ assertion: alice.assertion, issuer: 'HANA' }, alice.personId);
      expect(granted.status).toBe('GRANTED');
      const accountNumber = `4444${randomInt(10_000_000, 99_999_999)}`;
      await simulatorAdmin(system.simulatorsUrl, '/admin/bank/accounts', { bankCode: '020', accountNumber, holderName: alice.name, birthDate: alice.birthDate });
      expect((await system.client.registerPayoutAccount({ assertion: alice.assertion, bankCode: '020', accountNumber }, alice.personId)).status).toBe('VERIFIED');

      // New assertions are signed, and new personal data sealed, with the new keys.
      const phone = `010${randomInt(10_000_000, 99_999_999)}`;
      const started = await system.client.startVerification({ name: uniqueName(), birthDate: '1991-05-05', carrier: 'LGU', phone });
      const verified = await system.client.confirmVerification({ verificationId: started.verificationId, code: await readSmsCode(system.simulatorsUrl, phone) });
      expect(JSON.parse(Buffer.from(verified.assertion.split('.')[0], 'base64url').toString()).kid).toBe(fresh.signing[0].id);
      const sealed = await db.query(`SELECT sealed_identity FROM identity.persons WHERE id = $1`, [verified.personId]);
      expect(sealed.rows[0].sealed_identity.startsWith(`${fresh.sealing[0].id}.`)).toBe(true);
      const oldSealed = await db.query(`SELECT sealed_identity FROM identity.persons WHERE id = $1`, [alice.personId]);
      expect(oldSealed.rows[0].sealed_identity.startsWith(`${old.sealing[0].id}.`)).toBe(true);
      // And the new assertion is good for identity's own commands.
      expect((await system.client.grantConsent({ assertion: verified.assertion, issuer: 'KB' }, verified.personId)).status).toBe('GRANTED');
    });
  });
});

describe('operations: dead-letter replay', () => {
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

  it('replays a dead letter once its cause is fixed, and a second replay of it changes nothing', async () => {
    const person = await onboardPerson(system.client, system.simulatorsUrl, ['KB'], { name: uniqueName() });
    const accountNumber = `5555${randomInt(10_000_000, 99_999_999)}`;
    await simulatorAdmin(system.simulatorsUrl, '/admin/bank/accounts', { bankCode: '020', accountNumber, holderName: person.name, birthDate: person.birthDate });
    // The cause: the bank cannot be reached, so the real-name check fails until the command is dead-lettered.
    const simulatorsUrl = system.config.simulatorsUrl;
    system.config.simulatorsUrl = 'http://127.0.0.1:9';
    let refused: string;
    try {
      refused = await refusalOf(system.client.registerPayoutAccount({ assertion: person.assertion, bankCode: '020', accountNumber }, person.personId));
    } finally {
      system.config.simulatorsUrl = simulatorsUrl; // the fix
    }
    expect(refused).toBe('OUTCOME_UNKNOWN');
    // What `pointsweep dlq list` and `pointsweep dlq replay --message-id` do (tools/cli/src/dlq.ts), on the same library calls.
    const kafka = new Kafka({ brokers: kafkaBrokers(), clientId: 'replay-spec', logLevel: logLevel.NOTHING });
    const deadLetterTopic = `${system.prefix}.dead-letter`;
    const listed = await waitFor(async () => (await readDeadLetters(kafka, deadLetterTopic, { limit: 10 })).find((r) => r.deadLetter.messageType === 'RegisterPayoutAccount'),
      { timeoutMs: 30_000, intervalMs: 500, description: 'the dead letter in the list' });
    expect(listed.deadLetter.reason.code).toBe('OUTCOME_UNKNOWN');
    expect(listed.deadLetter.original).toBeNull();
    expect(listed.deadLetter.sealedOriginal).toBeDefined();
    const messageId = listed.deadLetter.messageId!;
    const producer = idempotentProducer(kafka);
    await producer.connect();
    const replay = async () => replayDeadLetters(producer, deadLetterTopic, selectDeadLetters(await readDeadLetters(kafka, deadLetterTopic), { messageId }), new Sealer(system.keys));
    const accounts = () => db.query(`SELECT id, status FROM identity.payout_accounts WHERE person_id = $1 AND status = 'VERIFIED'`, [person.personId]);
    const events = () => db.query(`SELECT count(*)::int AS n FROM identity.outbox WHERE message_type = 'PayoutAccountVerified' AND value->'payload'->>'personId' = $1`, [person.personId]);
    expect((await accounts()).rows).toHaveLength(1); // the onboarding account only

    try {
      for (let round = 1; round <= 2; round++) {
        expect(await replay()).toEqual([expect.objectContaining({ messageId, replayed: true })]);
        await waitFor(async () => (await db.query(`SELECT outcome FROM identity.inbox WHERE message_id = $1`, [messageId])).rows[0]?.outcome === 'processed',
          { timeoutMs: 30_000, intervalMs: 200, description: 'the replayed command processed' });
      }
    } finally {
      await producer.disconnect();
    }
    // Let the second replay be consumed (a marker behind it on the same key), then count effects.
    const marker = await system.client.grantConsent({ assertion: person.assertion, issuer: 'HANA' }, person.personId);
    expect(marker.status).toBe('GRANTED');
    expect((await accounts()).rows).toHaveLength(2);
    expect((await events()).rows[0].n).toBe(2); // onboarding's account and the replayed one, each once
    expect(selectDeadLetters(await readDeadLetters(kafka, deadLetterTopic), { messageId: randomUUID() })).toEqual([]);
  });
});
