import { EntityManager } from 'typeorm';
import { CASH_OUT_RESOLVED, isResolvedState } from '@pointsweep/contracts';
import { buildEnvelope, DeferredWork, TransactionWork } from '@pointsweep/messaging';
import { lockParts, PartSave, resolvedCashOuts, saveParts, StoredPart } from '../cash-out.repository';
import { PartState } from '../domain/cash-out-part';
import { appendJournals, NewJournal } from './ledger.writer';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The ledger's writes of one transaction, held until its handlers have all run: the parts it changed saved in
 * one statement, its journals appended in two, instead of four statements per event (docs/benchmarks.md).
 * The first part asked for is locked with every other part the transaction's messages name (one statement, in id
 * order); a part locked earlier is served from here, with every change made to it so far.
 */
export class PendingLedgerWrites implements DeferredWork {
  private readonly locked = new Map<string, StoredPart>();
  private readonly saves = new Map<string, PartSave>();
  private journals: NewJournal[] = [];
  /** Cash-outs with a reply topic that a part of moved into an outcome, and when: each may now be resolved (CashOutResolved). */
  private mayBeResolved = new Map<string, Date>();
  private readAhead: string[];

  constructor(
    private readonly tx: EntityManager,
    private readonly work: TransactionWork,
  ) {
    this.readAhead = [...new Set(work.payloads.map((p) => (p as { partId?: unknown }).partId).filter((id): id is string => typeof id === 'string' && UUID.test(id)))];
  }

  static of(ctx: { tx: EntityManager; work: TransactionWork }): PendingLedgerWrites {
    return ctx.work.get('conversion-ledger.writes', () => new PendingLedgerWrites(ctx.tx, ctx.work));
  }

  /** The part under its row lock, as this transaction has left it so far. */
  async lockPart(partId: string): Promise<StoredPart | undefined> {
    const held = this.locked.get(partId);
    if (held) return held;
    const ids = [...new Set([partId, ...this.readAhead])].filter((id) => !this.locked.has(id));
    this.readAhead = [];
    for (const part of await lockParts(this.tx, ids)) this.locked.set(part.id, part);
    return this.locked.get(partId);
  }

  savePart(part: StoredPart, next: PartState, at: Date, extra: Omit<PartSave, 'partId' | 'part' | 'at'> = {}): void {
    const earlier = this.saves.get(part.id);
    this.locked.set(part.id, { ...part, state: next, issuerTransactionId: extra.issuerTransactionId ?? part.issuerTransactionId });
    this.saves.set(part.id, {
      partId: part.id,
      part: next,
      at,
      failureReason: extra.failureReason ?? earlier?.failureReason,
      issuerTransactionId: extra.issuerTransactionId ?? earlier?.issuerTransactionId,
      releasesDailyLimit: (extra.releasesDailyLimit ?? false) || (earlier?.releasesDailyLimit ?? false),
    });
    if (part.notifyTopic && isResolvedState(next.state)) this.mayBeResolved.set(part.cashOutId, at);
  }

  appendJournal(journal: NewJournal): void {
    this.journals.push(journal);
  }

  async flush(): Promise<void> {
    const saves = [...this.saves.values()];
    const journals = this.journals;
    const mayBeResolved = this.mayBeResolved;
    this.saves.clear();
    this.journals = [];
    this.mayBeResolved = new Map();
    await saveParts(this.tx, saves);
    // Before the journals: the cash-out locks may wait for another transaction, and should not do so while this one
    // holds the hot shard-head and balance rows every ledger transaction needs.
    await this.pushResolved(mayBeResolved);
    await appendJournals(this.tx, journals);
  }

  /**
   * A CashOutResolved notice to the client of each cash-out now resolved, left to the transaction's outbox write
   * (one statement with the handlers' messages and the inbox claims).
   */
  private async pushResolved(mayBeResolved: Map<string, Date>): Promise<void> {
    const resolved = await resolvedCashOuts(this.tx, [...mayBeResolved.keys()]);
    this.work.pending.push(...resolved.map(({ view, personId, notifyTopic, correlationId }) => ({
      topic: notifyTopic,
      envelope: buildEnvelope(CASH_OUT_RESOLVED, view, { key: personId, correlationId: correlationId ?? undefined, occurredAt: mayBeResolved.get(view.cashOutId) }),
    })));
  }
}
