import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Append-only JSON-lines journal: every state change is written and fsync'ed before it is applied
 * and answered, and the whole file is replayed on start. A torn last line (kill -9 mid-write) is cut off.
 */
export class Journal {
  private fd: number | null;

  private constructor(
    readonly file: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  static open(dir: string, replay: (record: any) => void): { journal: Journal; replayed: number; tornBytes: number } {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'journal.jsonl');
    let replayed = 0;
    let tornBytes = 0;
    const created = !existsSync(file);
    if (!created) {
      const buf = readFileSync(file);
      const end = buf.lastIndexOf(0x0a) + 1;
      if (end < buf.length) {
        tornBytes = buf.length - end;
        truncateSync(file, end);
      }
      const text = buf.subarray(0, end).toString('utf8');
      let start = 0;
      while (start < text.length) {
        const nl = text.indexOf('\n', start);
        const line = text.slice(start, nl);
        start = nl + 1;
        if (line.trim() === '') continue;
        replay(JSON.parse(line));
        replayed++;
      }
    }
    const fd = openSync(file, 'a');
    if (created) {
      fsyncSync(fd);
      syncDir(dir);
    }
    return { journal: new Journal(file, fd), replayed, tornBytes };
  }

  /** Durable once this returns. */
  append(...records: object[]): void {
    if (this.fd === null) throw new Error('journal is closed');
    const data = Buffer.from(records.map((r) => JSON.stringify(r) + '\n').join(''), 'utf8');
    let off = 0;
    while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some file systems do not allow fsync on a directory
  }
}
