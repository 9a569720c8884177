import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { BenchResult } from './run-bench';
import { Distribution, fmt } from './stats';

export function machineSize(): string {
  const c = cpus();
  return `${c.length} cores (${c[0]?.model?.trim() ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory`;
}

const dist = (d: Distribution) => `p50 ${fmt(d.p50)} / p95 ${fmt(d.p95)} / p99 ${fmt(d.p99)} (max ${fmt(d.max)}, n=${d.count})`;

function table(header: string[], rows: (string | number)[][]): string {
  const lines = [header, header.map(() => '---'), ...rows.map((r) => r.map(String))];
  return lines.map((l) => `| ${l.join(' | ')} |`).join('\n');
}

/** The figures as Markdown: printed to the console and appended to docs/benchmarks.md. */
export function benchMarkdown(r: BenchResult, command: string): string {
  const o = r.options;
  const c = r.cashOuts;
  const out: string[] = [];
  out.push(`### Launch-day load — ${r.startedAt} (${r.runId})`);
  out.push('');
  out.push(`- Command: \`${command}\``);
  out.push(`- Machine: ${machineSize()}; everything on the same box`);
  out.push(
    `- Options: ${o.people} people, ramp ${o.rampSeconds} s, arrival window ${o.durationSeconds} s, drain ≤ ${o.drainSeconds} s, concurrency ${o.concurrency}, ` +
      `lookup-only share ${o.lookupOnlyShare}, ${o.lookupsPerPerson} lookup(s) per person, ${o.lookupPhaseSeconds ? `a ${o.lookupPhaseSeconds}-s lookup phase with everyone at once (the steady window)${o.lookupRate ? ` offering ${o.lookupRate} lookups/s on a fixed schedule` : ', back to back'}, ` : ''}${o.sweepRate ? `a sweep phase after everyone is onboarded (the steady window), offering ${o.sweepRate} parts/s on a fixed schedule, ` : ''}${o.issuersPerPerson} card companies per person, average part ${o.averagePartWon} won, ${o.statusBy === 'poll' ? `status polled every ${o.pollIntervalMs} ms` : `status told by notice (a fallback poll after ${o.fallbackPollMs} ms without one)`}, ` +
      `${o.clients} client(s), seed ${o.seed}` +
      (o.calmRate ? `, a calm load of ${o.calmRate} people/s from ${o.calmSeconds} s before the surge to ${o.calmSeconds} s after it (the surge: seconds ${r.surge?.fromSecond}–${r.surge?.toSecond})` : '') +
      (o.patienceSeconds ? `, people give up after ${o.patienceSeconds} s of busy answers` : ''),
  );
  out.push(`- Wall time ${fmt(r.wallSeconds, 1)} s; steady window (${o.lookupPhaseSeconds || o.sweepRate ? 'the phase' : 'after the ramp, to the end of arrivals'}) ${fmt(r.steadyWindowSeconds, 1)} s`);
  out.push(
    `- People: ${r.people.started} started, ${r.people.finished} finished, ${r.people.failed} failed${r.people.failed ? ` (${JSON.stringify(r.people.failures)})` : ''}, ` +
      `${r.people.gaveUp} gave up (busy for longer than their patience${r.people.gaveUp ? `; at ${Object.entries(r.people.gaveUpAt).map(([step, n]) => `${step} ${n}`).join(', ')}` : ''}), ${r.people.notStarted} not started (no slot before the cut-off), ${r.people.lookupOnly} looked up only`,
  );
  out.push('');
  out.push(
    table(
      ['figure', 'value'],
      [
        ['onboarding (verify + consents + account), ms', dist(r.onboarding)],
        ['lookups/s (steady / overall)', `${fmt(r.lookups.perSecondSteady, 1)} / ${fmt(r.lookups.perSecondOverall, 1)}`],
        ['lookup latency, ms', dist(r.lookups.latencyMs)],
        ['lookup program statuses', JSON.stringify(r.lookups.statuses)],
        ['cash-outs accepted (unknown outcome)', `${c.accepted} (${c.unknownOutcome})`],
        ['cash-out accept round trip, ms', dist(c.acceptLatencyMs)],
        ['parts (average won, total won)', `${c.parts} (${fmt(c.averagePartWon)} won, ${c.wonTotal} won)`],
        ['part states at the end', JSON.stringify(c.partStates)],
        ['parts settled or scheduled /s (steady / overall / best 10 s)', `${fmt(c.settledPerSecondSteady, 1)} / ${fmt(c.settledPerSecondOverall, 1)} / ${fmt(c.peakSettledPer10s, 1)}`],
        c.statusBy === 'poll'
          ? [`accepted → part terminal, ms (poll resolution ${c.pollIntervalMs} ms, clock offset ±${fmt(c.clockOffsetUncertaintyMs)} ms)`, dist(c.acceptedToTerminalMs)]
          : [`accepted → part terminal seen by the client (its cash-out's notice: every part resolved; clock offset ±${fmt(c.clockOffsetUncertaintyMs)} ms)`, dist(c.acceptedToTerminalMs)],
        ...(c.statusBy === 'notice' ? [['cash-outs resolved by notice / by a fallback poll', `${c.resolvedBy.notice} / ${c.resolvedBy.poll}`] as [string, string]] : []),
        ['accepted → part terminal as the ledger recorded it (updated_at − accepted_at), ms', dist(c.recordedAcceptedToTerminalMs)],
        ['the same, parts terminal in the steady window only, ms', dist(c.recordedInSteadyMs)],
        ['request sent → part terminal seen, ms', dist(c.sentToTerminalMs)],
        ['CPU per settled part, steady (all processes / without the bench)', `${fmt(r.cpuSecondsPerSettledPart.allProcesses * 1000, 2)} / ${fmt(r.cpuSecondsPerSettledPart.withoutBench * 1000, 2)} ms`],
        ['CPU of the whole run, every process but the bench (onboarding and lookups included)', `${fmt(r.wholeRunCpuWithoutBench.seconds, 1)} s, ${fmt(r.wholeRunCpuWithoutBench.perPart * 1000, 2)} ms per part`],
        ['machine busy in the steady window', `${fmt(r.machineBusyPercent, 0)} % of ${cpus().length} cores`],
        ['requests the bench sent / produce requests that carried them', `${r.clientSends.messages} / ${r.clientSends.produceRequests}`],
        ['retries', Object.keys(r.retries).length ? JSON.stringify(r.retries) : 'none'],
        ['"busy, retry after" answers (waited out and sent again, or given up on)', Object.keys(r.busyAnswers).length ? JSON.stringify(r.busyAnswers) : 'none'],
      ],
    ),
  );
  out.push('');
  out.push(
    table(
      ['step (first try → answer, busy answers and retries included)', 'ms'],
      Object.entries(r.steps).map(([what, d]) => [what, dist(d)]),
    ),
  );
  out.push('');
  out.push(
    table(
      ['seconds into the run', 'parts terminal or scheduled', 'accepted → terminal, ms p50 / p99', 'as the ledger recorded it, ms p50 / p99', 'busy answers'],
      r.timeline.map((b) => [
        `${b.fromSecond}–${b.fromSecond + 10}`,
        b.partsDone,
        b.partsDone ? `${fmt(b.acceptedToTerminalMs.p50)} / ${fmt(b.acceptedToTerminalMs.p99)}` : '-',
        b.recordedAcceptedToTerminalMs.count ? `${fmt(b.recordedAcceptedToTerminalMs.p50)} / ${fmt(b.recordedAcceptedToTerminalMs.p99)}` : '-',
        b.busy,
      ]),
    ),
  );
  if (r.surge) out.push('', ...surgeMarkdown(r.surge));
  out.push('');
  out.push(
    table(
      ['consumer group', 'max partition lag', 'max total lag', '/metrics pointsweep_consumer_lag_max'],
      r.lag.groups.map((g) => {
        const service = g.group.slice(g.group.indexOf('.') + 1);
        const m = r.lag.metrics.find((x) => x.service === service);
        return [g.group, g.maxPartitionLag, g.maxTotalLag, m ? fmt(m.maxReported) : '-'];
      }),
    ),
  );
  out.push(`(${r.lag.samples} lag samples, every 2 s)`);
  out.push('');
  const totalSteady = r.processes.reduce((s, p) => s + p.steadyCpuSeconds, 0);
  out.push(
    table(
      ['process', 'peak RSS MiB', 'CPU % of one core (steady)', 'share of sampled CPU (steady)', 'CPU s (whole run)'],
      r.processes.map((p) => [
        `${p.name}${p.pids.length > 1 ? ` (${p.pids.length} pids)` : p.pids.length === 0 ? ' (not found)' : ''}`,
        fmt(p.peakRssMiB),
        fmt(p.steadyCpuPercent, 0),
        totalSteady ? `${fmt((p.steadyCpuSeconds / totalSteady) * 100, 0)} %` : '-',
        fmt(p.cpuSeconds, 1),
      ]),
    ),
  );
  out.push('');
  out.push(`**Audit: ${r.audit.ok ? 'PASSED' : 'FAILED'}**`);
  out.push('');
  for (const check of r.audit.checks) out.push(`- ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`);
  out.push('');
  return out.join('\n');
}

/** Who arrived when around the surge, how they got in, and when arrivals found the system normal again. */
function surgeMarkdown(surge: NonNullable<BenchResult['surge']>): string[] {
  const out: string[] = [];
  const rec = surge.recovery;
  if (rec) {
    out.push(
      `**Back to normal after the surge: ${rec.normalAfterSeconds === undefined ? 'not within the run' : `${rec.normalAfterSeconds} s after its end`}** ` +
        `(normal: everyone arriving in a 10-s bucket got in, with arrival → cash-out accepted p99 ≤ ${fmt(rec.normalP99Ms)} ms, ` +
        `1.5× the calm before the surge (p50 ${fmt(rec.baselineMs.p50)} / p99 ${fmt(rec.baselineMs.p99)} ms, n=${rec.baselineMs.count}) and at least 1 s more; ` +
        'that bucket and every later one)',
      '',
    );
  }
  out.push(
    table(
      ['arrived in seconds', 'arrived', 'got in', 'gave up', 'failed', 'arrival → cash-out accepted, ms p50 / p99'],
      surge.arrivals.map((b) => [
        `${b.fromSecond}–${b.fromSecond + 10}${b.fromSecond >= surge.fromSecond && b.fromSecond < surge.toSecond ? ' (surge)' : ''}`,
        b.arrived,
        b.reached,
        b.gaveUp,
        b.failed,
        b.journeyMs.count ? `${fmt(b.journeyMs.p50)} / ${fmt(b.journeyMs.p99)}` : '-',
      ]),
    ),
  );
  return out;
}

/** Appends a section to docs/benchmarks.md, creating the file with a heading when missing. */
export function appendToBenchmarks(file: string, section: string): void {
  if (!existsSync(file)) writeFileSync(file, '# Benchmarks\n\n');
  appendFileSync(file, `\n${section}\n`);
}
