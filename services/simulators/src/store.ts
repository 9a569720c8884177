import { Journal } from './journal';
import { JournalRecord, State } from './state';

/**
 * State plus its journal. commit() applies a change at once, so a check and its record never interleave with
 * another request, and returns when the change is durable; every answer waits for durable() first (the
 * DurableAnswers interceptor), so no caller ever sees a change a crash could take back.
 */
export class Store {
  readonly state = new State();
  private journal: Journal | null = null;
  private lastCommit: Promise<void> = Promise.resolve();
  replayed = 0;
  tornBytes = 0;

  open(stateDir: string): this {
    const { journal, replayed, tornBytes } = Journal.open(stateDir, (r) => this.state.apply(r as JournalRecord));
    this.journal = journal;
    this.replayed = replayed;
    this.tornBytes = tornBytes;
    return this;
  }

  commit(record: JournalRecord): Promise<void> {
    if (!this.journal) throw new Error('store is not open');
    const durable = this.journal.commit(record);
    this.state.apply(record);
    this.lastCommit = durable;
    // A caller that does not await still answers through durable(); its failure is reported there.
    durable.catch(() => undefined);
    return durable;
  }

  /** Resolves once every change applied so far is durable (commits are written in order). */
  durable(): Promise<void> {
    return this.lastCommit;
  }

  async close(): Promise<void> {
    await this.journal?.close();
    this.journal = null;
  }
}
