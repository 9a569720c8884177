import 'reflect-metadata';
import { DynamicModule, INestApplication } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { MigrationInterface } from 'typeorm';
import { TopicName } from '@pointsweep/contracts';
import { DEFAULT_ADMISSION_MAX_QUEUE_MS, ServiceConfig, serviceConfigFromEnv } from './config';
import { openDatabase } from './database';
import { JsonLogger } from './logger';
import { NestJsonLogger } from './platform.module';
import { MessagingRuntime } from './runtime';
import { KafkaOutboxTransport, RethrowRpcErrors } from './transport';
import { Sealer } from './security';
import { EnvelopeSigner } from './envelope-signing';
import { RetentionJob, retentionFromEnv } from './retention';
import { TableUpkeep, upkeepFromEnv } from './table-upkeep';

export interface ServiceDefinition {
  name: string;
  /** The service's own PostgreSQL schema. */
  schema: string;
  migrations: (new () => MigrationInterface)[];
  /** Topics the service consumes. */
  consumes: TopicName[];
  /** Partitions consumed at the same time (default 3); each partition stays in order. */
  partitionsConsumedConcurrently?: number;
  /** Request types that bring a new person in: turned away first when the service falls behind (QueueLimits). */
  entryRequests?: readonly string[];
  module(runtime: MessagingRuntime, config: ServiceConfig): DynamicModule;
}

export interface RunningService {
  name: string;
  url: string;
  app: INestApplication;
  runtime: MessagingRuntime;
  close(): Promise<void>;
}

/** Starts a hybrid app: migrations, then HTTP init, then the Kafka transport, then the outbox relay. */
export async function startService(definition: ServiceDefinition, config: ServiceConfig): Promise<RunningService> {
  const logger = new JsonLogger(definition.name);
  const dataSource = await openDatabase({ url: config.databaseUrl, schema: definition.schema, migrations: definition.migrations });
  const runtime = await MessagingRuntime.create({
    service: definition.name,
    kafkaBrokers: config.kafkaBrokers,
    topicPrefix: config.topicPrefix,
    dataSource,
    clock: config.clock,
    signer: new EnvelopeSigner(config.keys),
    logger,
  });
  const app = await NestFactory.create(definition.module(runtime, config), { logger: new NestJsonLogger(logger), abortOnError: false });
  app.enableShutdownHooks();
  // Registered on the app before the microservice connects, which then inherits it.
  app.useGlobalFilters(new RethrowRpcErrors(app.get(HttpAdapterHost).httpAdapter));
  const admissionMaxQueueMs = config.admissionMaxQueueMs ?? DEFAULT_ADMISSION_MAX_QUEUE_MS;
  app.connectMicroservice({
    strategy: new KafkaOutboxTransport(runtime, {
      groupId: `${config.topicPrefix}.${definition.name}`,
      topics: definition.consumes.map((t) => runtime.topics[t]),
      sessionTimeoutMs: config.consumerSessionTimeoutMs,
      partitionsConsumedConcurrently: definition.partitionsConsumedConcurrently,
      admissionMaxQueueMs,
      entryRequests: definition.entryRequests && { types: definition.entryRequests, maxQueueMs: config.entryMaxQueueMs ?? admissionMaxQueueMs / 4 },
      sealer: new Sealer(config.keys),
    }),
  }, { inheritAppConfig: true });
  await app.init();
  await app.startAllMicroservices();
  await app.listen(config.httpPort, '127.0.0.1');
  runtime.relay.start();
  const retention = new RetentionJob(dataSource, logger, retentionFromEnv(process.env), `${definition.name}.retention`);
  retention.start();
  const upkeep = new TableUpkeep(dataSource, logger, upkeepFromEnv(process.env), `${definition.name}.table-upkeep`);
  upkeep.start();
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  logger.info('service started', { url, topics: definition.consumes });
  let closed = false;
  return {
    name: definition.name,
    url,
    app,
    runtime,
    async close() {
      if (closed) return;
      closed = true;
      await retention.stop();
      await upkeep.stop();
      await app.close();
      await runtime.close();
      await dataSource.destroy();
    },
  };
}

/** Process entry for a service: configuration from the environment, stop cleanly on SIGINT/SIGTERM. */
export async function runServiceProcess(definition: ServiceDefinition, defaults: { httpPort: number }): Promise<void> {
  const config = serviceConfigFromEnv(process.env, {
    httpPort: defaults.httpPort,
    databaseUrl: `postgres://pointsweep_${definition.schema}@127.0.0.1:5432/pointsweep`,
  });
  try {
    const service = await startService(definition, config);
    const stop = async () => {
      await service.close();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (error) {
    new JsonLogger(definition.name).error('service failed to start', { error });
    process.exit(1);
  }
}
