import { randomUUID } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { validate, ValidationError } from 'class-validator';
import {
  CashOut, CashOutView, ConfirmQuote, GetCashOutStatus, GrantConsents, ListManualReview, PointsweepError, QuoteCashOut,
  RegisterPayoutAccount, ReleaseDuePayouts, RevokeConsent, StartIdentityVerification,
} from '@pointsweep/contracts';
import type { PointsweepClient } from '@pointsweep/client';
import { CliCommand, ParsedCommandLine, UsageError, USAGE } from './args';
import {
  AuditReport, CliErrorView, formatAccount, formatAudit, formatCashOut, formatConsent, formatError, formatJson, formatManualReview,
  formatOverview, formatQuote, formatReleased, formatVerificationStarted, formatVerified,
} from './format';
import { requirePerson, Session, SessionStore } from './session';
import { DeadLetterTool, formatDeadLetters, formatReplay } from './dlq';

export type CliClient = Pick<
  PointsweepClient,
  | 'startVerification' | 'confirmVerification' | 'grantConsents' | 'revokeConsent' | 'registerPayoutAccount' | 'lookupPoints'
  | 'quoteCashOut' | 'confirmQuote' | 'cashOut' | 'cashOutStatus' | 'listManualReview' | 'releaseDuePayouts' | 'close'
>;

export type AuditLedger = (options: { databaseUrl: string; schema?: string; requireTerminal?: boolean }) => Promise<AuditReport>;

/** Everything the CLI touches outside itself, so the commands can run against fakes. */
export interface CliDependencies {
  connect(global: ParsedCommandLine['global']): Promise<CliClient>;
  session: SessionStore;
  readSmsCode(simulatorsUrl: string, phone: string): Promise<string>;
  auditLedger(): Promise<AuditLedger>;
  /** The dead-letter tool (pointsweep dlq); optional so fakes without it keep working. */
  deadLetters?(): DeadLetterTool;
  now(): Date;
  sleep(ms: number): Promise<void>;
  out(text: string): void;
  err(text: string): void;
}

/** What a command produced: the raw result (printed with --json), its human form and the exit status. */
export interface CommandOutcome {
  result: unknown;
  text: string;
  exitCode: number;
  /** A coded error to print besides the result (the audit's failure). */
  error?: CliErrorView;
}

const WAIT_LIMIT_MS = 120_000;
const SETTLED_PART_STATES = new Set(['PAID', 'FAILED', 'MANUAL_REVIEW', 'SCHEDULED']);

/** Runs one command line; returns the exit status. Never throws. */
export async function runCli(parsed: () => ParsedCommandLine, deps: CliDependencies): Promise<number> {
  let json = false;
  try {
    const { global, command } = parsed();
    json = global.json;
    const outcome = await execute(command, global, deps);
    deps.out(json ? formatJson(outcome.result) : outcome.text);
    if (outcome.error) deps.err(formatError(outcome.error, false));
    return outcome.exitCode;
  } catch (error) {
    const view = errorView(error);
    const text = formatError(view, json);
    if (json) deps.out(text);
    else deps.err(error instanceof UsageError ? `${text}\nRun pointsweep help for usage.` : text);
    return error instanceof UsageError ? 2 : 1;
  }
}

/** Any error as code, message and retriable; errors that are not ours get a code saying where they came from. */
export function errorView(error: unknown): CliErrorView {
  if (error instanceof UsageError) return { code: error.code, message: error.message, retriable: false };
  if (error instanceof PointsweepError) return { code: error.code, message: error.message, retriable: error.retriable };
  const e = error instanceof Error ? error : new Error(String(error));
  if (e.name.startsWith('KafkaJS')) {
    const unreachable = /Connection|NumberOfRetriesExceeded|BrokerNotFound|Timeout/.test(e.name);
    return { code: unreachable ? 'KAFKA_UNAVAILABLE' : 'KAFKA_ERROR', message: `${e.name}: ${e.message}`, retriable: true };
  }
  return { code: 'UNEXPECTED', message: e.message, retriable: false };
}

function describe(errors: ValidationError[], path = ''): string[] {
  return errors.flatMap((e) => {
    const here = path ? `${path}.${e.property}` : e.property;
    return [...Object.values(e.constraints ?? {}).map((m) => `${here}: ${m}`), ...describe(e.children ?? [], here)];
  });
}

/** Checks a command's payload against its contract before anything is sent: a bad value is a usage error (exit 2). */
export async function checkInput<T extends object>(cls: new () => T, payload: T): Promise<T> {
  const errors = await validate(plainToInstance(cls, payload), { whitelist: true, forbidNonWhitelisted: true });
  const problems = describe(errors).filter((p) => !p.startsWith('assertion:'));
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  return payload;
}

async function withClient<R>(global: ParsedCommandLine['global'], deps: CliDependencies, work: (client: CliClient) => Promise<R>): Promise<R> {
  const client = await deps.connect(global);
  try {
    return await work(client);
  } finally {
    await client.close().catch(() => undefined);
  }
}

async function person(deps: CliDependencies): Promise<{ session: Session; personId: string; assertion: string }> {
  const session = await deps.session.load();
  return { session, ...requirePerson(session, deps.now()) };
}

function accountOf(session: Session, given: string | undefined): string {
  const accountId = given ?? session.accountId;
  if (!accountId) throw new UsageError('no --account given and none registered in this session: pointsweep accounts register ...');
  return accountId;
}

/** A reply that never came does not mean the cash-out was refused: say how to find out without paying twice. */
function unknownOutcome(requestId: string) {
  return (error: unknown): never => {
    if (error instanceof PointsweepError && error.code === 'REPLY_TIMEOUT') {
      throw new PointsweepError(error.code, `${error.message}; it may still have been accepted: repeat the command with --request-id ${requestId} (it is idempotent)`, true);
    }
    throw error;
  };
}

async function execute(command: CliCommand, global: ParsedCommandLine['global'], deps: CliDependencies): Promise<CommandOutcome> {
  switch (command.name) {
    case 'help':
      return { result: { usage: USAGE }, text: USAGE, exitCode: 0 };

    case 'verify': {
      const session = await deps.session.load();
      if (command.code !== undefined) {
        const pending = session.pending;
        if (!pending) throw new UsageError('no verification was started; run pointsweep verify --name ... --start-only first');
        const verified = await withClient(global, deps, (c) => c.confirmVerification({ verificationId: pending.verificationId, code: command.code! }));
        await deps.session.save({ personId: verified.personId, assertion: verified.assertion, assertionExpiresAt: verified.assertionExpiresAt });
        return { result: verified, text: formatVerified(verified, global.sessionFile), exitCode: 0 };
      }
      const input = await checkInput(StartIdentityVerification, command.person!);
      return withClient(global, deps, async (client) => {
        const started = await client.startVerification(input);
        if (command.startOnly) {
          await deps.session.save({ ...session, pending: { verificationId: started.verificationId, expiresAt: started.expiresAt } });
          return { result: started, text: formatVerificationStarted(started), exitCode: 0 };
        }
        const code = await deps.readSmsCode(global.simulatorsUrl, input.phone);
        const verified = await client.confirmVerification({ verificationId: started.verificationId, code });
        await deps.session.save({ personId: verified.personId, assertion: verified.assertion, assertionExpiresAt: verified.assertionExpiresAt });
        return { result: verified, text: formatVerified(verified, global.sessionFile), exitCode: 0 };
      });
    }

    case 'consent': {
      const { personId, assertion } = await person(deps);
      if (command.action === 'grant') {
        // Every card company named, in one request.
        const input = await checkInput(GrantConsents, { assertion, issuers: command.issuers });
        const recorded = await withClient(global, deps, (c) => c.grantConsents(input, personId));
        return { result: recorded, text: recorded.map(formatConsent).join('\n'), exitCode: 0 };
      }
      const input = await checkInput(RevokeConsent, { assertion, issuer: command.issuers[0] });
      const recorded = await withClient(global, deps, (c) => c.revokeConsent(input, personId));
      return { result: recorded, text: formatConsent(recorded), exitCode: 0 };
    }

    case 'accounts-register': {
      const { session, personId, assertion } = await person(deps);
      const input = await checkInput(RegisterPayoutAccount, { assertion, bankCode: command.bankCode, accountNumber: command.accountNumber });
      const registered = await withClient(global, deps, (c) => c.registerPayoutAccount(input, personId));
      if (registered.status === 'VERIFIED') await deps.session.save({ ...session, accountId: registered.accountId });
      return { result: registered, text: formatAccount(registered), exitCode: registered.status === 'VERIFIED' ? 0 : 1 };
    }

    case 'lookup': {
      const { personId, assertion } = await person(deps);
      const overview = await withClient(global, deps, (c) => c.lookupPoints({ assertion }, personId));
      return { result: overview, text: formatOverview(overview), exitCode: 0 };
    }

    case 'quote': {
      const { session, personId, assertion } = await person(deps);
      const input = await checkInput(QuoteCashOut, { assertion, accountId: accountOf(session, command.accountId), parts: command.parts });
      const quote = await withClient(global, deps, (c) => c.quoteCashOut(input, personId));
      return { result: quote, text: formatQuote(quote), exitCode: 0 };
    }

    case 'cashout': {
      const { session, personId, assertion } = await person(deps);
      const requestId = command.requestId ?? `cli-${randomUUID()}`;
      const view = command.quoteId !== undefined
        ? await (async () => {
          const input = await checkInput(ConfirmQuote, { assertion, requestId, quoteId: command.quoteId! });
          return withClient(global, deps, (c) => c.confirmQuote(input, personId)).catch(unknownOutcome(requestId));
        })()
        : await (async () => {
          const input = await checkInput(CashOut, { assertion, requestId, accountId: accountOf(session, command.accountId), parts: command.parts });
          return withClient(global, deps, (c) => c.cashOut(input, personId)).catch(unknownOutcome(requestId));
        })();
      return { result: view, text: formatCashOut(view), exitCode: 0 };
    }

    case 'status': {
      const { personId, assertion } = await person(deps);
      const input = await checkInput(GetCashOutStatus, { assertion, cashOutId: command.cashOutId });
      const view = await withClient(global, deps, async (client) => {
        const deadline = deps.now().getTime() + WAIT_LIMIT_MS;
        for (;;) {
          const current = await client.cashOutStatus(input, personId);
          if (!command.wait || isSettled(current)) return current;
          if (deps.now().getTime() > deadline) {
            throw new PointsweepError('WAIT_TIMEOUT', `cash-out ${command.cashOutId} is still ${current.state} after ${WAIT_LIMIT_MS / 1000} s`, true);
          }
          await deps.sleep(500);
        }
      });
      return { result: view, text: formatCashOut(view), exitCode: 0 };
    }

    case 'release-due': {
      const input = await checkInput(ReleaseDuePayouts, { operator: command.operator });
      const released = await withClient(global, deps, (c) => c.releaseDuePayouts(input));
      return { result: released, text: formatReleased(released), exitCode: 0 };
    }

    case 'manual-review': {
      const input = await checkInput(ListManualReview, { operator: command.operator });
      const items = await withClient(global, deps, (c) => c.listManualReview(input));
      return { result: items, text: formatManualReview(items), exitCode: 0 };
    }

    case 'dlq-list': {
      const records = await deadLetterTool(deps).list({ brokers: global.brokers, prefix: global.prefix, limit: command.limit });
      return { result: records, text: formatDeadLetters(records), exitCode: 0 };
    }

    case 'dlq-replay': {
      const outcomes = await deadLetterTool(deps).replay({ brokers: global.brokers, prefix: global.prefix, messageId: command.messageId, fromTopic: command.fromTopic });
      const skipped = outcomes.filter((o) => !o.replayed).length;
      return { result: outcomes, text: formatReplay(outcomes), exitCode: outcomes.length === 0 || skipped > 0 ? 1 : 0 };
    }

    case 'audit': {
      const audit = await deps.auditLedger();
      const report = await audit({ databaseUrl: command.databaseUrl, ...(command.schema ? { schema: command.schema } : {}), ...(command.requireTerminal ? { requireTerminal: true } : {}) });
      const failed = report.checks.filter((c) => !c.ok).length;
      const ok = report.ok && failed === 0;
      return {
        result: report,
        text: formatAudit(report),
        exitCode: ok ? 0 : 1,
        error: ok ? undefined : { code: 'LEDGER_AUDIT_FAILED', message: `${failed} of ${report.checks.length} checks failed`, retriable: false },
      };
    }
  }
}

function deadLetterTool(deps: CliDependencies): DeadLetterTool {
  if (!deps.deadLetters) throw new PointsweepError('DLQ_UNAVAILABLE', 'this CLI was built without the dead-letter tool');
  return deps.deadLetters();
}

/** Settled for waiting: no longer in progress, or every part is done or scheduled for a later business day. */
export function isSettled(view: CashOutView): boolean {
  return view.state !== 'IN_PROGRESS' || (view.parts.length > 0 && view.parts.every((p) => SETTLED_PART_STATES.has(p.state)));
}
