import { EntityManager } from 'typeorm';
import { RequestPayout } from '@pointsweep/contracts';
import { DeferredWork, MessageContext } from '@pointsweep/messaging';
import { PayoutStatus } from '../../payouts/payout-decision';

/** A payout row as row_to_json gives it (times as ISO text). */
export interface ExistingPayoutRow {
  status: PayoutStatus;
  transfer_date: string | null;
  bank_transaction_id: string | null;
  release_at: string | null;
}

/** What one RequestPayout needs to know: the payout its part may already have, the account's owner, a fresh id number. */
export interface KnownForPayout {
  existing: ExistingPayoutRow | null;
  owner: string | null;
  next_id: string;
}

export interface NewPayout {
  partId: string;
  personId: string;
  accountId: string;
  amountWon: number;
  status: 'PENDING' | 'SCHEDULED' | 'FAILED';
  transferDate?: string;
  bankTransactionId?: string;
  releaseAt?: Date;
  failureCode?: string;
  failureReason?: string;
  correlationId: string;
  causationId: string;
  acceptedAt: Date;
  issuer: string;
  cashOutAcceptedAt: string;
}

type Requested = Pick<RequestPayout, 'partId' | 'personId' | 'accountId' | 'bankCode' | 'sealedAccountNumber'>;

function isRequested(payload: object): payload is Requested {
  const p = payload as Partial<Record<keyof Requested, unknown>>;
  return [p.partId, p.personId, p.accountId, p.bankCode, p.sealedAccountNumber].every((v) => typeof v === 'string');
}

/**
 * The payout requests of one transaction (a group from one partition): what is known of all of them read in one
 * statement, which also records each account from the (signed) command, and their payouts inserted in one at the
 * end. One at a time, each was two statements.
 */
export class PayoutRequests implements DeferredWork {
  private known?: Promise<Map<string, KnownForPayout>>;
  private rows: NewPayout[] = [];

  private constructor(
    private readonly tx: EntityManager,
    private readonly acceptedAt: Date,
    private readonly readAhead: Requested[],
  ) {}

  static of(ctx: MessageContext): PayoutRequests {
    return ctx.work.get('bank-settlement.payout-requests', () => new PayoutRequests(ctx.tx, ctx.acceptedAt, ctx.work.payloads.filter(isRequested)));
  }

  /** What is known for this command: read with every other of the transaction on first use (alone if it was not among them). */
  async knownFor(command: Requested): Promise<KnownForPayout> {
    const ahead = this.readAhead.some((r) => r.partId === command.partId && r.accountId === command.accountId);
    const known = ahead ? await (this.known ??= this.read(this.readAhead)) : await this.read([command]);
    // uuid::text is lower case; the command's id may not be.
    const found = known.get(command.partId.toLowerCase());
    if (!found) throw new Error(`no read for part ${command.partId}`);
    return found;
  }

  add(row: NewPayout): void {
    this.rows.push(row);
  }

  async flush(): Promise<void> {
    const rows = this.rows;
    this.rows = [];
    if (rows.length === 0) return;
    await this.tx.query(
      `INSERT INTO payouts (part_id, person_id, account_id, amount_won, status, transfer_date, bank_transaction_id, release_at, failure_code,
                            failure_reason, correlation_id, causation_id, accepted_at, issuer, cash_out_accepted_at)
       SELECT part_id, person_id, account_id, amount_won, status, transfer_date, bank_transaction_id, release_at, failure_code,
              failure_reason, correlation_id, causation_id, accepted_at, issuer, cash_out_accepted_at
         FROM jsonb_to_recordset($1::jsonb) AS u(part_id uuid, person_id uuid, account_id uuid, amount_won bigint, status text, transfer_date text,
              bank_transaction_id text, release_at timestamptz, failure_code text, failure_reason text, correlation_id text, causation_id text,
              accepted_at timestamptz, issuer text, cash_out_accepted_at timestamptz)`,
      [JSON.stringify(rows.map((r) => ({
        part_id: r.partId, person_id: r.personId, account_id: r.accountId, amount_won: r.amountWon, status: r.status,
        transfer_date: r.transferDate ?? null, bank_transaction_id: r.bankTransactionId ?? null, release_at: r.releaseAt?.toISOString() ?? null,
        failure_code: r.failureCode ?? null, failure_reason: r.failureReason ?? null, correlation_id: r.correlationId, causation_id: r.causationId,
        accepted_at: r.acceptedAt.toISOString(), issuer: r.issuer, cash_out_accepted_at: r.cashOutAcceptedAt,
      })))],
    );
  }

  /**
   * One statement: each account recorded from its command (the ledger only sends verified own accounts, sealed),
   * each part's existing payout, each account's owner (a row inserted by this statement is not visible to its own
   * subqueries, hence the COALESCE with what the insert returned), and one bank transaction id number per command.
   * A number taken and not used (a repeated command, a scheduled payout) is simply never used.
   */
  private async read(commands: Requested[]): Promise<Map<string, KnownForPayout>> {
    const rows: (KnownForPayout & { part_id: string })[] = await this.tx.query(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS u(ord int, part_id uuid, account_id uuid, person_id uuid, bank_code text, sealed_account_number text)),
       account AS (
         INSERT INTO payout_accounts (account_id, person_id, bank_code, sealed_account_number, verified_at)
         SELECT DISTINCT ON (account_id) account_id, person_id, bank_code, sealed_account_number, $2 FROM input ORDER BY account_id, ord
         ON CONFLICT (account_id) DO NOTHING RETURNING account_id, person_id)
       SELECT i.part_id::text AS part_id,
              (SELECT row_to_json(p) FROM (SELECT status, transfer_date, bank_transaction_id, release_at FROM payouts WHERE part_id = i.part_id) p) AS existing,
              COALESCE((SELECT a.person_id FROM account a WHERE a.account_id = i.account_id),
                       (SELECT pa.person_id FROM payout_accounts pa WHERE pa.account_id = i.account_id))::text AS owner,
              nextval('bank_transaction_seq')::text AS next_id
         FROM input i ORDER BY i.ord`,
      [JSON.stringify(commands.map((c, ord) => ({
        ord, part_id: c.partId, account_id: c.accountId, person_id: c.personId, bank_code: c.bankCode, sealed_account_number: c.sealedAccountNumber,
      }))), this.acceptedAt],
    );
    return new Map(rows.map((r) => [r.part_id, { existing: r.existing, owner: r.owner, next_id: r.next_id }]));
  }
}
