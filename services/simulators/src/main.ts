import { resolve } from 'node:path';
import { startSimulators } from './app';
import type { LogLevel } from './log';

async function main(): Promise<void> {
  const port = Number(process.env.SIMULATORS_PORT ?? 4100);
  const stateDir = resolve(process.cwd(), process.env.SIMULATORS_STATE_DIR ?? '.data/simulators');
  const seed = process.env.SIMULATORS_SEED ?? 'pointsweep';
  const start = process.env.SIMULATORS_CLOCK_START;
  const clockOffsetMs = start ? Date.parse(start) - Date.now() : Number(process.env.SIMULATORS_CLOCK_OFFSET_MS ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('SIMULATORS_PORT must be a port number');
  if (!Number.isFinite(clockOffsetMs)) throw new Error('SIMULATORS_CLOCK_START / SIMULATORS_CLOCK_OFFSET_MS is not valid');
  const sims = await startSimulators({
    port,
    host: process.env.SIMULATORS_HOST ?? '127.0.0.1',
    stateDir,
    seed,
    clockOffsetMs: Math.trunc(clockOffsetMs),
    logLevel: (process.env.SIMULATORS_LOG_LEVEL as LogLevel | undefined) || 'info',
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(JSON.stringify({ level: 'info', msg: 'stopping simulators', time: new Date().toISOString(), service: 'simulators', signal }) + '\n');
    sims.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stdout.write(
    JSON.stringify({ level: 'error', msg: 'simulators failed to start', time: new Date().toISOString(), service: 'simulators', err: e instanceof Error ? e.message : String(e) }) + '\n',
  );
  process.exit(1);
});
