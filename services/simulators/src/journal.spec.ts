import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from './journal';

describe('journal', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sim-journal-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replays every record written before a restart, in order', () => {
    const { journal } = Journal.open(dir, () => undefined);
    journal.append({ n: 1 });
    journal.append({ n: 2 }, { n: 3 });
    journal.close();
    const seen: unknown[] = [];
    const reopened = Journal.open(dir, (r) => seen.push(r));
    reopened.journal.close();
    expect(seen).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('cuts off a record torn by a crash and keeps appending after the last whole one', () => {
    const first = Journal.open(dir, () => undefined).journal;
    first.append({ n: 1 });
    first.close();
    appendFileSync(join(dir, 'journal.jsonl'), '{"n":2,"hal');
    const { journal, tornBytes } = Journal.open(dir, () => undefined);
    expect(tornBytes).toBeGreaterThan(0);
    journal.append({ n: 3 });
    journal.close();
    expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8')).toBe('{"n":1}\n{"n":3}\n');
  });
});

describe('journal group commit', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sim-journal-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes every committed record durable in commit order, and replays them after a restart', async () => {
    const { journal } = Journal.open(dir, () => undefined);
    const firstTurn = [1, 2, 3].map((n) => journal.commit({ n }));
    await Promise.all(firstTurn);
    expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
    // Committed while the first batch may still be in flight: they go out in a later write, after it.
    const a = journal.commit({ n: 4 });
    const b = journal.commit({ n: 5 });
    await Promise.all([a, b]);
    await journal.close();
    const seen: unknown[] = [];
    Journal.open(dir, (r) => seen.push(r)).journal.close();
    expect(seen).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }]);
  });

  it('writes what was queued before closing, and refuses commits after it', async () => {
    const { journal } = Journal.open(dir, () => undefined);
    const pending = journal.commit({ n: 1 });
    await journal.close();
    await expect(pending).resolves.toBeUndefined();
    await expect(journal.commit({ n: 2 })).rejects.toThrow('journal is closed');
    expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8')).toBe('{"n":1}\n');
  });
});
