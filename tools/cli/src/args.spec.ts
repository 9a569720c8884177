import { DEFAULTS, parseCommandLine, parsePart, UsageError } from './args';

const parse = (line: string, env: Record<string, string> = {}) => parseCommandLine(line.split(' ').filter(Boolean), env);
const usage = (line: string) => expect(() => parse(line)).toThrow(UsageError);

describe('parseCommandLine', () => {
  it('uses the defaults, then the environment, then the options', () => {
    expect(parse('lookup').global).toEqual({
      brokers: ['127.0.0.1:9092'], prefix: 'pointsweep', simulatorsUrl: DEFAULTS.simulatorsUrl, json: false,
      sessionFile: '.data/cli-session.json', timeoutMs: 30000, verbose: false,
    });
    const env = { KAFKA_BROKERS: 'a:1,b:2', TOPIC_PREFIX: 'env', SIMULATORS_URL: 'http://sim:1/' };
    expect(parse('lookup', env).global).toMatchObject({ brokers: ['a:1', 'b:2'], prefix: 'env', simulatorsUrl: 'http://sim:1' });
    expect(parse('lookup --brokers c:3 --prefix opt --json --session /tmp/s.json --timeout 2.5', env).global).toMatchObject({
      brokers: ['c:3'], prefix: 'opt', json: true, sessionFile: '/tmp/s.json', timeoutMs: 2500,
    });
  });

  it('parses verify with and without the code', () => {
    expect(parse('verify --name 김민지 --birth-date 1990-04-01 --carrier skt --phone 010-1234-5678').command).toEqual({
      name: 'verify', startOnly: false, person: { name: '김민지', birthDate: '1990-04-01', carrier: 'SKT', phone: '01012345678' },
    });
    expect(parse('verify --name a --birth-date 1990-04-01 --carrier KT --phone 01012345678 --start-only').command).toMatchObject({ startOnly: true });
    expect(parse('verify --code 123456').command).toEqual({ name: 'verify', code: '123456', startOnly: false });
    usage('verify --code 12345');
    usage('verify --name a --birth-date 1990-04-01 --carrier KT --phone 01012345678 --code 123456');
    usage('verify --name a --carrier KT --phone 01012345678');
  });

  it('parses consent, accounts, lookup and status', () => {
    expect(parse('consent grant --issuer kb').command).toEqual({ name: 'consent', action: 'grant', issuers: ['KB'] });
    expect(parse('consent grant --issuer kb,shinhan,HANA').command).toEqual({ name: 'consent', action: 'grant', issuers: ['KB', 'SHINHAN', 'HANA'] });
    expect(parse('consent revoke --issuer HANA').command).toEqual({ name: 'consent', action: 'revoke', issuers: ['HANA'] });
    usage('consent revoke --issuer HANA,KB');
    usage('consent grant --issuer ,');
    usage('consent --issuer KB');
    usage('consent allow --issuer KB');
    expect(parse('accounts register --bank-code 020 --account-number 1002-123-456789').command).toEqual({
      name: 'accounts-register', bankCode: '020', accountNumber: '1002123456789',
    });
    usage('accounts list');
    expect(parse('lookup').command).toEqual({ name: 'lookup' });
    expect(parse('status --cash-out abc --wait').command).toEqual({ name: 'status', cashOutId: 'abc', wait: true });
    usage('status');
  });

  it('parses quote and the two forms of cashout', () => {
    expect(parse('quote --account A --part hyundai_m:300 --part KB_POINTREE:10').command).toEqual({
      name: 'quote', accountId: 'A', parts: [{ program: 'HYUNDAI_M', points: 300 }, { program: 'KB_POINTREE', points: 10 }],
    });
    usage('quote --account A');
    expect(parse('cashout --quote Q --request-id my-request-1').command).toEqual({ name: 'cashout', quoteId: 'Q', parts: [], requestId: 'my-request-1' });
    expect(parse('cashout --account A --part BC_TOP:5').command).toMatchObject({ accountId: 'A', parts: [{ program: 'BC_TOP', points: 5 }] });
    usage('cashout --quote Q --part BC_TOP:5');
    usage('cashout');
    usage('cashout --quote Q --request-id short');
  });

  it('parses the operator commands and audit', () => {
    expect(parse('release-due --operator kim').command).toEqual({ name: 'release-due', operator: 'kim' });
    expect(parse('manual-review --operator kim').command).toEqual({ name: 'manual-review', operator: 'kim' });
    usage('release-due');
    expect(parse('audit --database-url postgres://x/y').command).toEqual({ name: 'audit', databaseUrl: 'postgres://x/y', schema: undefined, requireTerminal: false });
    expect(parse('audit --database-url postgres://x/y --require-terminal').command).toMatchObject({ requireTerminal: true });
    expect(parse('audit --database-url postgres://x/y --schema ledger2').command).toMatchObject({ schema: 'ledger2' });
  });

  it('refuses unknown commands and options, options of other commands and bad globals', () => {
    usage('fly');
    usage('lookup --frobnicate');
    usage('lookup --operator kim');
    usage('lookup extra');
    usage('lookup --brokers nope');
    usage('lookup --timeout 0');
    usage('lookup --prefix a/b');
  });

  it('answers help', () => {
    expect(parse('').command).toEqual({ name: 'help', topic: undefined });
    expect(parse('help').command.name).toBe('help');
    expect(parse('lookup --help').command.name).toBe('help');
  });
});

describe('parsePart', () => {
  it('takes PROGRAM:POINTS with a known program and whole points', () => {
    expect(parsePart('citi_point:1')).toEqual({ program: 'CITI_POINT', points: 1 });
    for (const bad of ['CITI_POINT', 'CITI_POINT:0', 'CITI_POINT:1.5', 'NOPE:5', 'CITI_POINT:-1', ':5']) expect(() => parsePart(bad)).toThrow(UsageError);
  });
  it('refuses the same program twice', () => {
    expect(() => parse('quote --part BC_TOP:1 --part bc_top:2')).toThrow(/twice/);
  });
});

describe('dlq subcommands', () => {
  it('parses dlq list and dlq replay', () => {
    expect(parseCommandLine(['dlq', 'list']).command).toEqual({ name: 'dlq-list' });
    expect(parseCommandLine(['dlq', 'list', '--limit', '5']).command).toEqual({ name: 'dlq-list', limit: 5 });
    const id = '0b5e1f9a-6a53-4c8e-9a55-2b6f9f0f2a11';
    expect(parseCommandLine(['dlq', 'replay', '--message-id', id]).command).toEqual({ name: 'dlq-replay', messageId: id, fromTopic: undefined });
    expect(parseCommandLine(['dlq', 'replay', '--all-from-topic', 'pointsweep.ledger.commands']).command)
      .toEqual({ name: 'dlq-replay', messageId: undefined, fromTopic: 'pointsweep.ledger.commands' });
  });

  it('refuses what it cannot mean', () => {
    expect(() => parseCommandLine(['dlq'])).toThrow(/dlq takes list or replay/);
    expect(() => parseCommandLine(['dlq', 'purge'])).toThrow(/dlq takes list or replay/);
    expect(() => parseCommandLine(['dlq', 'list', '--limit', '0'])).toThrow(/--limit/);
    expect(() => parseCommandLine(['dlq', 'replay'])).toThrow(/either --message-id/);
    expect(() => parseCommandLine(['dlq', 'replay', '--message-id', 'x', '--all-from-topic', 't'])).toThrow(/either --message-id/);
    expect(() => parseCommandLine(['dlq', 'replay', '--message-id', 'not-a-uuid'])).toThrow(/uuid/);
    expect(() => parseCommandLine(['dlq', 'list', '--message-id', 'x'])).toThrow(/dlq list does not take --message-id/);
  });
});
