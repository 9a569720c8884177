import { Journal } from './journal';
import { JournalRecord, State } from './state';

/** State plus its journal: commit() makes a change durable, then applies it. */
export class Store {
  readonly state = new State();
  private journal: Journal | null = null;
  replayed = 0;
  tornBytes = 0;

  open(stateDir: string): this {
    const { journal, replayed, tornBytes } = Journal.open(stateDir, (r) => this.state.apply(r as JournalRecord));
    this.journal = journal;
    this.replayed = replayed;
    this.tornBytes = tornBytes;
    return this;
  }

  commit(record: JournalRecord): void {
    if (!this.journal) throw new Error('store is not open');
    this.journal.append(record);
    this.state.apply(record);
  }

  close(): void {
    this.journal?.close();
    this.journal = null;
  }
}
