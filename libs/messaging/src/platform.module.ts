import { Controller, DynamicModule, Get, Global, Header, HttpCode, LoggerService, Module, Res } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CLOCK } from './clock';
import { JsonLogger } from './logger';
import { MessagingRuntime } from './runtime';
import { ServiceConfig } from './config';
import { AssertionVerifier, Sealer } from './security';

export const RUNTIME = Symbol('RUNTIME');
export const SERVICE_CONFIG = 'SERVICE_CONFIG';

@Controller('health')
class HealthController {
  constructor(private readonly runtime: MessagingRuntime) {}

  @Get('live')
  live(): { status: string } {
    return { status: 'ok' };
  }

  /** Kafka and the database decide readiness; an open breaker shows in the detail but does not fail it. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) res: { status(code: number): void }): Promise<unknown> {
    const result = await this.runtime.readiness();
    res.status(result.ok ? 200 : 503);
    return { status: result.ok ? 'ok' : 'unavailable', checks: result.checks };
  }
}

@Controller('metrics')
class MetricsController {
  constructor(private readonly runtime: MessagingRuntime) {}

  @Get()
  @HttpCode(200)
  @Header('Content-Type', 'text/plain; version=0.0.4')
  async metrics(): Promise<string> {
    return this.runtime.metrics.metrics();
  }
}

/** Gives every service its runtime, clock, DataSource, and the /health and /metrics endpoints. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(runtime: MessagingRuntime, config: ServiceConfig): DynamicModule {
    return {
      module: PlatformModule,
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: MessagingRuntime, useValue: runtime },
        { provide: RUNTIME, useValue: runtime },
        { provide: CLOCK, useValue: runtime.clock },
        { provide: DataSource, useValue: runtime.dataSource },
        { provide: JsonLogger, useValue: runtime.logger },
        { provide: 'SERVICE_CONFIG', useValue: config },
        { provide: AssertionVerifier, useValue: new AssertionVerifier(config.keys) },
        { provide: Sealer, useValue: new Sealer(config.keys) },
      ],
      exports: [MessagingRuntime, RUNTIME, CLOCK, DataSource, JsonLogger, 'SERVICE_CONFIG', AssertionVerifier, Sealer],
    };
  }
}

/** Nest's own log lines, as JSON through our logger. */
export class NestJsonLogger implements LoggerService {
  constructor(private readonly logger: JsonLogger) {}
  log(message: unknown, context?: string): void { this.logger.debug(String(message), { context }); }
  error(message: unknown, trace?: string, context?: string): void { this.logger.error(String(message), { trace, context }); }
  warn(message: unknown, context?: string): void { this.logger.warn(String(message), { context }); }
  debug(message: unknown, context?: string): void { this.logger.debug(String(message), { context }); }
  verbose(message: unknown, context?: string): void { this.logger.debug(String(message), { context }); }
}
