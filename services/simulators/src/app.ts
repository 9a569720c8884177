import 'reflect-metadata';
import { DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ExpressAdapter } from '@nestjs/platform-express';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ClockController, HealthController } from './admin';
import { DurableAnswers } from './durable-answers';
import { BankController, BankFaults } from './bank';
import { CarrierController } from './carrier';
import { Clock } from './clock';
import { ErrorFilter } from './errors';
import { IssuerAdminController, IssuerController, IssuerFaultBook, PointsBook } from './issuers';
import { JsonLog, LogLevel, NestLogBridge } from './log';
import { Settings } from './settings';
import { Sleeper } from './sleeper';
import { Store } from './store';

export interface SimulatorsOptions {
  port: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** Where the journal lives; the same directory brings back the same state. */
  stateDir: string;
  /** Seeds balances, expiry schedules and connecting information. Defaults to 'pointsweep'. */
  seed?: string;
  /** Start offset of the simulators' clock from real time. */
  clockOffsetMs?: number;
  /** Defaults to env SIMULATORS_LOG_LEVEL or 'info'. */
  logLevel?: LogLevel;
}

export interface RunningSimulators {
  url: string;
  close(): Promise<void>;
}

@Module({})
class SimulatorsModule {
  static with(values: object[]): DynamicModule {
    return {
      module: SimulatorsModule,
      controllers: [HealthController, ClockController, CarrierController, IssuerController, IssuerAdminController, BankController],
      providers: values.map((v) => ({ provide: v.constructor, useValue: v })),
    };
  }
}

export async function startSimulators(options: SimulatorsOptions): Promise<RunningSimulators> {
  const host = options.host ?? '127.0.0.1';
  const seed = options.seed ?? 'pointsweep';
  const stateDir = resolve(options.stateDir);
  const level = options.logLevel ?? ((process.env.SIMULATORS_LOG_LEVEL as LogLevel | undefined) || 'info');
  const log = new JsonLog(level);
  const store = new Store().open(stateDir);
  if (store.tornBytes > 0) log.warn('cut a torn record off the end of the journal', { bytes: store.tornBytes });
  const settings = new Settings(seed, stateDir);
  const clock = new Clock(options.clockOffsetMs ?? 0);
  const sleeper = new Sleeper();
  const values = [store, settings, clock, sleeper, log, new PointsBook(store, settings, clock), new IssuerFaultBook(), new BankFaults()];

  let app: NestExpressApplication;
  try {
    app = await NestFactory.create<NestExpressApplication>(SimulatorsModule.with(values), new ExpressAdapter(), {
      bodyParser: false,
      logger: new NestLogBridge(log),
      abortOnError: false,
    });
    app.useBodyParser('json', { limit: '64kb' });
    // A body that is not JSON gets the same error shape as everything else.
    app.use((err: { status?: number; type?: string }, _req: unknown, res: any, next: (e?: unknown) => void) => {
      if (!err) return next();
      const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 400;
      res.status(status).json({ code: 'INVALID_REQUEST', message: err.type === 'entity.too.large' ? 'body too large' : 'body is not valid JSON' });
    });
    app.useGlobalFilters(new ErrorFilter(log));
    app.useGlobalInterceptors(new DurableAnswers(store));
    await app.listen(options.port, host);
  } catch (e) {
    await store.close();
    throw e;
  }
  const server = app.getHttpServer();
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info('simulators listening', { url, stateDir, replayedRecords: store.replayed });

  let closing: Promise<void> | null = null;
  return {
    url,
    close() {
      closing ??= (async () => {
        sleeper.abortAll();
        const closed = app.close();
        server.closeIdleConnections?.();
        await closed;
        await store.close();
        log.info('simulators stopped', { url });
      })();
      return closing;
    },
  };
}
