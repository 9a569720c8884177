import 'reflect-metadata';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { buildAsyncApiDocument } from './asyncapi-document';

/** The repository's docs/asyncapi.yaml, from tools/cli/src/asyncapi or tools/cli/dist/asyncapi. */
export const DEFAULT_OUTPUT = resolve(__dirname, '../../../../docs/asyncapi.yaml');

const HEADER = [
  '# GENERATED from @pointsweep/contracts by tools/cli/src/asyncapi/generate-asyncapi.ts - do not edit by hand.',
  '# Regenerate: npx tsc -b tools/cli && node tools/cli/dist/asyncapi/generate-asyncapi.js',
  '',
].join('\n');

export function renderAsyncApi(): string {
  return HEADER + stringify(buildAsyncApiDocument());
}

/** Writes the document, or with --check exits 1 when the file differs from what the contracts say. */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' }, check: { type: 'boolean' } }, strict: true });
  const out = resolve(values.out ?? DEFAULT_OUTPUT);
  const text = renderAsyncApi();
  if (values.check) {
    const current = await readFile(out, 'utf8').catch(() => '');
    if (current !== text) {
      process.stderr.write(`${out} is out of date with the contracts; regenerate it with: node tools/cli/dist/asyncapi/generate-asyncapi.js\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`${out} is up to date\n`);
    return;
  }
  await writeFile(out, text);
  process.stdout.write(`wrote ${out}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
