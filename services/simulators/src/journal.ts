import { closeSync, existsSync, fsync, fsyncSync, mkdirSync, openSync, readFileSync, truncateSync, write, writeSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const writeAsync = promisify(write);
const fsyncAsync = promisify(fsync);

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Append-only JSON-lines journal, replayed whole on start. A torn last line (kill -9 mid-write) is cut off.
 * commit() is a group commit: records queued while one write + fsync is in flight go out together in the next,
 * off the event loop. An fsync costs about a millisecond on this disk, and a payout or redemption needs one; one
 * per request, synchronously, held the event loop for most of each second at a few hundred parts a second.
 */
export class Journal {
  private fd: number | null;
  private queued: string[] = [];
  private waiters: Waiter[] = [];
  private flushing: Promise<void> | null = null;
  private broken: unknown = null;

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

  /** Durable once the promise resolves. After a failed write every later commit fails too: memory and disk differ. */
  commit(record: object): Promise<void> {
    if (this.fd === null) return Promise.reject(new Error('journal is closed'));
    if (this.broken) return Promise.reject(this.broken);
    this.queued.push(JSON.stringify(record) + '\n');
    const durable = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.flushing ??= this.flushQueued();
    return durable;
  }

  private async flushQueued(): Promise<void> {
    // Let everything queued in this turn of the event loop join the first write.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.queued.length > 0) {
      const data = Buffer.from(this.queued.join(''), 'utf8');
      const waiters = this.waiters;
      this.queued = [];
      this.waiters = [];
      try {
        let off = 0;
        while (off < data.length) off += (await writeAsync(this.fd!, data, off, data.length - off)).bytesWritten;
        await fsyncAsync(this.fd!);
        for (const w of waiters) w.resolve();
      } catch (error) {
        this.broken = error;
        for (const w of [...waiters, ...this.waiters]) w.reject(error);
        this.waiters = [];
        this.queued = [];
      }
    }
    this.flushing = null;
  }

  /** Waits for queued records to be written, then closes. */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
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
