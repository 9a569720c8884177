import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { ServiceConfig } from '@pointsweep/messaging';

export interface ChildService {
  process: ChildProcess;
  url: string;
  /** Resolves with the signal or exit code when the process ends. */
  exited: Promise<string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
    server.on('error', fail);
  });
}

/**
 * Runs one service as its own process (its built dist/main.js) on the test system's broker, database and keys,
 * so a test can kill it with SIGKILL or let it crash at a named point, and start it again.
 */
export async function startChildService(name: string, config: ServiceConfig, env: Record<string, string> = {}): Promise<ChildService> {
  const port = await freePort();
  const child = spawn(process.execPath, [resolve(__dirname, `../../services/${name}/dist/main.js`)], {
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      KAFKA_BROKERS: config.kafkaBrokers.join(','),
      TOPIC_PREFIX: config.topicPrefix,
      DATABASE_URL: config.databaseUrl,
      HTTP_PORT: String(port),
      SIMULATORS_URL: config.simulatorsUrl,
      CLOCK_START: config.clock.now().toISOString(),
      POINTSWEEP_KEYS: JSON.stringify(config.keys),
      LOG_LEVEL: process.env.CHILD_LOG_LEVEL ?? 'warn',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<string>((ok) => child.once('exit', (code, signal) => ok(signal ?? String(code))));
  const url = `http://127.0.0.1:${port}`;
  return {
    process: child,
    url,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
