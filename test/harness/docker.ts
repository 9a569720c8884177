import { execFileSync } from 'node:child_process';

/** Label on every container the test harness starts; leftovers of a crashed run are removed by it. */
export const TEST_LABEL = 'dev.pointsweep.test';
/** The test run (its jest process) that owns a container, so concurrent runs on one machine leave each other alone. */
export const OWNER_LABEL = `${TEST_LABEL}.owner-pid`;

export function ownerLabels(): Record<string, string> {
  return { [TEST_LABEL]: 'true', [OWNER_LABEL]: String(process.pid) };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes harness containers (running or not) of this run, and those of runs whose process is gone (a crashed run);
 * returns how many. Containers of another run still going on are left alone.
 */
export function removeLabelledContainers(): number {
  const lines = execFileSync('docker', ['ps', '-a', '--filter', `label=${TEST_LABEL}=true`, '--format', `{{.ID}} {{.Label "${OWNER_LABEL}"}}`], { encoding: 'utf8' })
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
  const ids = lines
    .map((line) => line.split(' '))
    .filter(([, owner]) => !owner || Number(owner) === process.pid || !processAlive(Number(owner)))
    .map(([id]) => id);
  if (ids.length > 0) execFileSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'ignore' });
  return ids.length;
}
