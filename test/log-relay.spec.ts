import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/** Runs scripts/log-relay.mjs in a Node of its own (it is the start script's ES module) and returns each write. */
function relayed(chunks: number[][]): string[] {
  const module = resolve(__dirname, '../scripts/log-relay.mjs');
  const script = `
    const { lineRelay } = await import(${JSON.stringify(module)});
    const writes = [];
    const relay = lineRelay('issuer-aggregation', (text) => writes.push(text));
    for (const bytes of ${JSON.stringify(chunks)}) relay.push(Buffer.from(bytes));
    relay.flush();
    process.stdout.write(JSON.stringify(writes));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as string[];
}

const bytes = (text: string) => [...Buffer.from(text, 'utf8')];

describe('the start script relaying its processes\' logs', () => {
  it('keeps a log line whole when the pipe hands it over in two chunks', () => {
    const line = '{"level":"info","msg":"points redeemed","points":4513}';
    const writes = relayed([bytes(line.slice(0, 20)), bytes(`${line.slice(20)}\n{"level":"warn"`), bytes(',"msg":"late"}\n')]);

    expect(writes.join('')).toBe(`issuer-aggregation | ${line}\nissuer-aggregation | {"level":"warn","msg":"late"}\n`);
  });

  it('writes a chunk\'s whole lines together, and a multi-byte character split between chunks comes out whole', () => {
    const korean = bytes('{"holderName":"김포인트"}\n');
    const writes = relayed([[...bytes('{"a":1}\n{"b":2}\n'), ...korean.slice(0, 16)], korean.slice(16)]);

    expect(writes).toEqual([
      'issuer-aggregation | {"a":1}\nissuer-aggregation | {"b":2}\n',
      'issuer-aggregation | {"holderName":"김포인트"}\n',
    ]);
  });

  it('relays a last line without a newline when the stream ends, and leaves out blank lines', () => {
    expect(relayed([bytes('\n\n{"last":true}')]).join('')).toBe('issuer-aggregation | {"last":true}\n');
  });
});
