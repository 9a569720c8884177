// The stack's processes write JSON log lines to pipes, which may hand them over in chunks that end anywhere: in the
// middle of a line (one longer than the pipe's buffer), or of a multi-byte character (a Korean name). A line is
// relayed, prefixed with its process's name, only once it is whole, so every relayed line still parses as JSON.
import { StringDecoder } from 'node:string_decoder';

/** push(chunk) for each chunk and flush() at the end of the stream; `write` receives whole, prefixed lines. */
export function lineRelay(name, write) {
  const decoder = new StringDecoder('utf8');
  const prefix = `${name.padEnd(18)} | `;
  let rest = '';
  const emit = (lines) => {
    const out = lines.filter((line) => line.trim()).map((line) => `${prefix}${line}\n`).join('');
    if (out) write(out);
  };
  return {
    push(chunk) {
      const lines = (rest + decoder.write(chunk)).split('\n');
      rest = lines.pop();
      emit(lines);
    },
    flush() {
      emit([rest + decoder.end()]);
      rest = '';
    },
  };
}
