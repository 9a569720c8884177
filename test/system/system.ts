import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PointsweepClient } from '@pointsweep/client';
import { Clock, generateKeyRing, KeyRing, RunningService, ServiceConfig, ServiceDefinition, startService } from '@pointsweep/messaging';
import { identityService } from '@pointsweep/identity';
import { issuerAggregationService } from '@pointsweep/issuer-aggregation';
import { conversionLedgerService } from '@pointsweep/conversion-ledger';
import { bankSettlementService } from '@pointsweep/bank-settlement';
import { startSimulators } from '@pointsweep/simulators';
import { createTestDatabase, kafkaBrokers, randomName, TestDatabase } from '../harness';

export const ALL_SERVICES: ServiceDefinition[] = [identityService, issuerAggregationService, conversionLedgerService, bankSettlementService];

export interface TestSystem {
  prefix: string;
  database: TestDatabase;
  simulatorsUrl: string;
  keys: KeyRing;
  services: Map<string, RunningService>;
  client: PointsweepClient;
  config: ServiceConfig;
  /** Starts one more instance of a service (e.g. after stopping one). */
  start(definition: ServiceDefinition): Promise<RunningService>;
  close(): Promise<void>;
}

/** The whole system in this process: simulators over real HTTP, every service on the real broker and database. */
export async function startTestSystem(options: {
  clock: Clock;
  services?: ServiceDefinition[];
  admissionMaxQueueMs?: number;
  /** Another broker or cluster than the run's shared one (a spec's own three-broker cluster). */
  brokers?: string[];
  consumerSessionTimeoutMs?: number;
}): Promise<TestSystem> {
  const brokers = options.brokers ?? kafkaBrokers();
  const prefix = randomName('ps');
  const database = await createTestDatabase('ps');
  const stateDir = mkdtempSync(join(tmpdir(), 'ps-sim-'));
  const simulators = await startSimulators({ port: 0, stateDir, seed: prefix, logLevel: 'warn' } as Parameters<typeof startSimulators>[0]);
  const keys = generateKeyRing();
  const config: ServiceConfig = {
    kafkaBrokers: brokers,
    topicPrefix: prefix,
    databaseUrl: database.url,
    httpPort: 0,
    simulatorsUrl: simulators.url,
    clock: options.clock,
    keys,
    admissionMaxQueueMs: options.admissionMaxQueueMs,
    consumerSessionTimeoutMs: options.consumerSessionTimeoutMs,
  };
  const services = new Map<string, RunningService>();
  const start = async (definition: ServiceDefinition) => {
    const running = await startService(definition, config);
    services.set(definition.name, running);
    return running;
  };
  for (const definition of options.services ?? ALL_SERVICES) await start(definition);
  // It also acts as the operator tool (release payouts, manual review), so it holds the key ring.
  const client = await PointsweepClient.connect({ brokers, topicPrefix: prefix, timeoutMs: 30000, keys });
  return {
    prefix,
    database,
    simulatorsUrl: simulators.url,
    keys,
    services,
    client,
    config,
    start,
    async close() {
      await client.close();
      for (const service of services.values()) await service.close();
      await simulators.close();
      await database.drop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export { simulatorAdmin, readSmsCode } from '@pointsweep/client';
