import { DataSource } from 'typeorm';
import { DeferredWork, MessageContext } from '@pointsweep/messaging';
import { PointsSnapshot } from './points-overview';

export interface PersonPointsRecord {
  consents: { issuer: string; ci: string }[];
  snapshots: PointsSnapshot[];
}

interface RecordRow {
  person_id: string;
  consents: { issuer: string; ci: string }[];
  snapshots: { program: string; balance: string; expiring: PointsSnapshot['expiring']; as_of: string }[];
}

/**
 * Consents and snapshots of every person whose lookup runs in this chunk, read in one statement: the lookups start
 * together, so the ones asking within the same turn of the event loop share the read. Outside any transaction.
 */
export class LookupReads implements DeferredWork {
  private waiting = new Map<string, { resolve: (r: PersonPointsRecord) => void; reject: (e: unknown) => void }[]>();
  private scheduled = false;

  private constructor(private readonly dataSource: DataSource) {}

  static of(ctx: MessageContext, dataSource: DataSource): LookupReads {
    return ctx.work.get('issuer-aggregation.lookup-reads', () => new LookupReads(dataSource));
  }

  read(personId: string): Promise<PersonPointsRecord> {
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(personId) ?? [];
      list.push({ resolve, reject });
      this.waiting.set(personId, list);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.readWaiting());
      }
    });
  }

  private async readWaiting(): Promise<void> {
    const waiting = this.waiting;
    this.waiting = new Map();
    this.scheduled = false;
    try {
      const rows: RecordRow[] = await this.dataSource.query(
        `SELECT p.person_id,
           (SELECT coalesce(json_agg(json_build_object('issuer', issuer, 'ci', ci)), '[]') FROM consents c
             WHERE c.person_id = p.person_id AND c.revoked_at IS NULL) AS consents,
           (SELECT coalesce(json_agg(json_build_object('program', program, 'balance', balance::text, 'expiring', expiring, 'as_of', as_of)), '[]')
             FROM point_snapshots s WHERE s.person_id = p.person_id) AS snapshots
         FROM unnest($1::uuid[]) AS p(person_id)`,
        [[...waiting.keys()]],
      );
      const byPerson = new Map(rows.map((r) => [r.person_id, r]));
      for (const [personId, list] of waiting) {
        // One person's unreadable snapshot fails that person's lookups only; uuid text comes back lower case.
        try {
          const row = byPerson.get(personId.toLowerCase());
          const record = { consents: row?.consents ?? [], snapshots: (row?.snapshots ?? []).map(toSnapshot) };
          for (const w of list) w.resolve(record);
        } catch (error) {
          for (const w of list) w.reject(error);
        }
      }
    } catch (error) {
      for (const list of waiting.values()) for (const w of list) w.reject(error);
    }
  }

  async flush(): Promise<void> {
    // Read-only.
  }
}

export interface SnapshotRow {
  personId: string;
  program: string;
  issuer: string;
  balance: number;
  expiring: PointsSnapshot['expiring'];
  asOf: string;
}

/**
 * The fresh balances of every lookup in the transaction, written in one statement at its end. Of two answers for
 * the same program in one chunk only the newer is kept (one statement cannot update a row twice), and an older
 * answer never overwrites a newer snapshot of a concurrent lookup.
 */
export class SnapshotWrites implements DeferredWork {
  private rows = new Map<string, SnapshotRow>();

  private constructor(private readonly ctx: MessageContext) {}

  static of(ctx: MessageContext): SnapshotWrites {
    return ctx.work.get('issuer-aggregation.snapshot-writes', () => new SnapshotWrites(ctx));
  }

  add(rows: SnapshotRow[]): void {
    for (const row of rows) {
      const key = `${row.personId}/${row.program}`;
      const before = this.rows.get(key);
      if (!before || Date.parse(before.asOf) <= Date.parse(row.asOf)) this.rows.set(key, row);
    }
  }

  async flush(): Promise<void> {
    const rows = [...this.rows.values()];
    this.rows = new Map();
    if (rows.length === 0) return;
    await this.ctx.tx.query(
      `INSERT INTO point_snapshots (person_id, program, issuer, balance, expiring, as_of, fetched_at)
       SELECT u.person_id, u.program, u.issuer, u.balance, u.expiring, u.as_of, $1
         FROM jsonb_to_recordset($2::jsonb) AS u(person_id uuid, program text, issuer text, balance bigint, expiring jsonb, as_of timestamptz)
       ON CONFLICT (person_id, program) DO UPDATE
         SET balance = EXCLUDED.balance, expiring = EXCLUDED.expiring, as_of = EXCLUDED.as_of, fetched_at = EXCLUDED.fetched_at
         WHERE point_snapshots.as_of <= EXCLUDED.as_of`,
      [this.ctx.acceptedAt, JSON.stringify(rows.map((r) => ({ person_id: r.personId, program: r.program, issuer: r.issuer, balance: r.balance, expiring: r.expiring, as_of: r.asOf })))],
    );
  }
}

function toSnapshot(row: RecordRow['snapshots'][number]): PointsSnapshot {
  const balance = Number(row.balance);
  if (!Number.isSafeInteger(balance)) throw new Error(`snapshot balance of ${row.program} is out of range`);
  return { program: row.program, balance, expiring: row.expiring, asOf: new Date(row.as_of).toISOString() };
}
