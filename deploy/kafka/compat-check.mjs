// Checks that kafkajs works against a running broker: idempotent producer (acks=all),
// a consumer group that joins, consumes and commits. Usage: node compat-check.mjs 127.0.0.1:9092
import { Kafka, logLevel } from 'kafkajs';

const broker = process.argv[2] ?? '127.0.0.1:9092';
const kafka = new Kafka({ clientId: 'compat-check', brokers: [broker], logLevel: logLevel.ERROR });
const topic = `compat-${Date.now()}`;
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
await producer.send({ topic, acks: -1, messages: [{ key: 'a', value: 'one' }, { key: 'b', value: 'two' }] });
const consumer = kafka.consumer({ groupId: `${topic}-group` });
await consumer.connect();
await consumer.subscribe({ topics: [topic], fromBeginning: true });
const seen = [];
const done = new Promise((resolve) => {
  consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      for (const m of batch.messages) { seen.push(m.value.toString()); resolveOffset(m.offset); }
      await consumer.commitOffsets(batch.messages.map((m) => ({ topic, partition: batch.partition, offset: (BigInt(m.offset) + 1n).toString() })));
      if (seen.length >= 2) resolve();
    },
  });
});
const timer = setTimeout(() => { console.error('FAIL: timed out; seen', seen); process.exit(1); }, 30000);
await done;
clearTimeout(timer);
const offsets = await admin.fetchOffsets({ groupId: `${topic}-group`, topics: [topic] });
await consumer.disconnect(); await producer.disconnect(); await admin.disconnect();
console.log('OK', broker, 'consumed', seen.sort().join(','), 'committed', JSON.stringify(offsets[0].partitions.map((p) => p.offset)));
process.exit(0);
