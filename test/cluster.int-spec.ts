import { execFileSync } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { awaitCashOut, OnboardedPerson, onboardPerson, simulatorAdmin } from '@pointsweep/client';
import { CashOutView } from '@pointsweep/contracts';
import { kstInstant, offsetClock } from '@pointsweep/messaging';
import { connectingInformation } from '@pointsweep/simulators';
import { randomName, waitFor } from './harness';
import { KafkaCluster, startKafkaCluster } from './harness/kafka-containers';
import { ChildService, startChildService } from './system/child-service';
import { expectEachPaidOnce, expectLedgerAuditPasses } from './system/paid-once';
import { startTestSystem, TestSystem } from './system/system';

// A killed consumer's partitions move to the others after this, not after the default 30 s.
process.env.KAFKA_SESSION_TIMEOUT_MS = '6000';

const BUSINESS_MORNING = kstInstant('2026-11-26', '10:00');
const SERVICES = ['identity', 'issuer-aggregation', 'conversion-ledger', 'bank-settlement'];

/**
 * Scenario 6 of the fault suite, deterministic: the whole system on its own three-broker KRaft cluster (replication
 * factor 3, min.insync.replicas 2, acks=all, no unclean leader election). One broker is killed mid-run and started
 * again; then a second instance of every service joins and is killed mid-run. Every cash-out is paid exactly once.
 */
describe('a three-broker cluster: nothing is lost when a broker dies or consumer groups rebalance', () => {
  let cluster: KafkaCluster;
  let system: TestSystem;
  let kafka: Kafka;
  const children: ChildService[] = [];

  beforeAll(async () => {
    cluster = await startKafkaCluster();
    system = await startTestSystem({ clock: offsetClock(BUSINESS_MORNING), brokers: cluster.brokers, consumerSessionTimeoutMs: 6000 });
    kafka = new Kafka({ brokers: cluster.brokers, clientId: 'cluster-spec', logLevel: logLevel.NOTHING });
  }, 240_000);

  afterAll(async () => {
    await Promise.all(children.splice(0).map((c) => c.stop()));
    await system?.close();
    await cluster?.stop();
  });

  /** Replicas and in-sync replicas of every partition of a topic, by broker node id. */
  async function replication(topic: string): Promise<{ partition: number; leader: number; replicas: number[]; isr: number[] }[]> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      return meta.partitions.map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr }));
    } finally {
      await admin.disconnect();
    }
  }

  async function personWithPoints(): Promise<OnboardedPerson> {
    const person = await onboardPerson(system.client, system.simulatorsUrl, ['SHINHAN']);
    const ci = connectingInformation(system.prefix, person.name, person.birthDate, person.phone);
    await simulatorAdmin(system.simulatorsUrl, `/admin/issuers/SHINHAN/members/${ci}/programs/SHINHAN_MYSHINHAN`, { balance: 5000 });
    return person;
  }

  /**
   * While a dead broker's partitions and group coordinators move (up to ~30 s), a reply can miss the client's wait:
   * like any client, ask again with the same request id, which can never make a second cash-out.
   */
  async function askAgainOnTimeout<T>(ask: () => Promise<T>, description: string): Promise<T> {
    return waitFor(async () => {
      try {
        return await ask();
      } catch (error) {
        if ((error as { code?: string }).code === 'REPLY_TIMEOUT') return undefined;
        throw error;
      }
    }, { timeoutMs: 120_000, intervalMs: 100, description });
  }

  const cashOut = (person: OnboardedPerson) => {
    const request = { assertion: person.assertion, requestId: randomName('cluster'), accountId: person.accountId, parts: [{ program: 'SHINHAN_MYSHINHAN', points: 3000 }] };
    return askAgainOnTimeout(() => system.client.cashOut(request, person.personId), `cash-out ${request.requestId} accepted`);
  };

  /** Every cash-out completed and paid once into its person's account, and the ledger audit passes. */
  async function expectAllPaidOnce(accepted: { person: OnboardedPerson; view: CashOutView }[]): Promise<void> {
    for (const { person, view } of accepted) {
      const settled = await askAgainOnTimeout(() => awaitCashOut(system.client, person, view.cashOutId, 90_000), `cash-out ${view.cashOutId} settled`);
      expect({ state: settled.state, parts: settled.parts.map((p) => p.state) }).toEqual({ state: 'COMPLETED', parts: ['PAID'] });
    }
    await expectEachPaidOnce(system.simulatorsUrl, accepted.map((a) => a.person));
    await expectLedgerAuditPasses(system.database.url);
  }

  it('replicates every service topic to all three brokers, all in sync', async () => {
    const topics = system.services.get('conversion-ledger')!.runtime.topics;
    for (const topic of [topics.ledgerCommands, topics.issuerCommands, topics.settlementEvents, topics.deadLetter]) {
      for (const p of await replication(topic)) {
        expect({ topic, partition: p.partition, replicas: p.replicas.length, isr: p.isr.length }).toEqual({ topic, partition: p.partition, replicas: 3, isr: 3 });
      }
    }
  });

  it('pays every cash-out once when the broker leading the ledger\'s partitions is killed mid-run, and takes it back when it returns', async () => {
    const people = [];
    for (let i = 0; i < 4; i++) people.push(await personWithPoints());
    const ledgerCommands = system.services.get('conversion-ledger')!.runtime.topics.ledgerCommands;
    const leaders = (await replication(ledgerCommands)).map((p) => p.leader);
    const victim = [1, 2, 3].sort((a, b) => leaders.filter((l) => l === b).length - leaders.filter((l) => l === a).length)[0];

    const accepted = [];
    for (const person of people.slice(0, 2)) accepted.push({ person, view: await cashOut(person) });
    cluster.kill(victim - 1);
    // Accepted while the dead broker's partitions elect new leaders among the two in sync.
    for (const person of people.slice(2)) accepted.push({ person, view: await cashOut(person) });
    await expectAllPaidOnce(accepted);
    // The controller fences the dead broker on its own schedule; the metadata may trail the payments.
    await waitFor(async () => (await replication(ledgerCommands)).every((p) => p.leader !== victim && !p.isr.includes(victim)), {
      timeoutMs: 60_000, intervalMs: 500, description: `broker ${victim} out of every leader and in-sync set of ${ledgerCommands}`,
    });

    // Restarted: it catches up and is back in sync everywhere (no unclean election needed at any point).
    execFileSync('docker', ['start', cluster.containers[victim - 1].getId()], { stdio: 'ignore' });
    await waitFor(async () => (await replication(ledgerCommands)).every((p) => p.isr.length === 3), {
      timeoutMs: 90_000, intervalMs: 1000, description: `broker ${victim} back in sync on ${ledgerCommands}`,
    });
  });

  it('pays every cash-out once while a second instance of every service joins and is then killed (two rebalances per group mid-run)', async () => {
    const people = [];
    for (let i = 0; i < 4; i++) people.push(await personWithPoints());
    const seconds = await Promise.all(SERVICES.map((name) => startChildService(name, system.config)));
    children.push(...seconds);
    const accepted = [];
    // Sent while the second instances start and join their groups...
    for (const person of people.slice(0, 2)) accepted.push({ person, view: await cashOut(person) });
    await waitFor(async () => {
      const ready = await Promise.all(seconds.map((c) => fetch(`${c.url}/health/ready`).then((r) => r.ok, () => false)));
      return ready.every(Boolean);
    }, { timeoutMs: 60_000, intervalMs: 500, description: 'the second instances ready' });
    // ...and while the groups are shared between two instances, each killed right after.
    for (const person of people.slice(2)) accepted.push({ person, view: await cashOut(person) });
    for (const second of seconds) second.process.kill('SIGKILL');
    for (const second of seconds) expect(await second.exited).toBe('SIGKILL');
    await expectAllPaidOnce(accepted);
  });
});
