#!/usr/bin/env bash
# Formats storage (first run only) and runs one KRaft broker+controller on loopback.
# Usage: broker.sh <data-dir> [client-port] [controller-port] [node-id] [quorum-voters]
# The jars come from Maven Central (pom.xml beside this file); Maven ships no bin/ scripts,
# so the main classes are run directly.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=${1:?data dir}
port=${2:-9092}
cport=${3:-9093}
node=${4:-1}
voters=${5:-}
lib=${KAFKA_LIB:-$here/target/lib}
[ -d "$lib" ] || mvn -q -B -f "$here/pom.xml" package
mkdir -p "$data"
props="$data/server.properties"
cat >"$props" <<PROPS
process.roles=broker,controller
node.id=$node
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data/logs
num.partitions=${KAFKA_PARTITIONS:-6}
offsets.topic.replication.factor=${KAFKA_RF:-1}
offsets.topic.num.partitions=${KAFKA_OFFSETS_PARTITIONS:-50}
transaction.state.log.replication.factor=${KAFKA_RF:-1}
transaction.state.log.min.isr=${KAFKA_MIN_ISR:-1}
default.replication.factor=${KAFKA_RF:-1}
min.insync.replicas=${KAFKA_MIN_ISR:-1}
unclean.leader.election.enable=false
auto.create.topics.enable=true
group.initial.rebalance.delay.ms=0
log.retention.hours=24
PROPS
if [ -n "$voters" ]; then
  echo "controller.quorum.voters=$voters" >>"$props"
else
  echo "controller.quorum.bootstrap.servers=127.0.0.1:$cport" >>"$props"
fi
cp="$lib/*"
heap=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
if [ ! -f "$data/logs/meta.properties" ]; then
  cluster=${KAFKA_CLUSTER_ID:-$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)}
  if [ -n "$voters" ]; then
    java -cp "$cp" kafka.tools.StorageTool format -t "$cluster" -c "$props" --ignore-formatted >/dev/null
  else
    java -cp "$cp" kafka.tools.StorageTool format --standalone -t "$cluster" -c "$props" --ignore-formatted >/dev/null
  fi
fi
exec java $heap -XX:+UseG1GC -Dlog4j2.level=WARN -cp "$cp" kafka.Kafka "$props"
