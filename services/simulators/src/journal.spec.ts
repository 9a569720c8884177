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
