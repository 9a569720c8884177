import { execFileSync } from 'node:child_process';

/** Label on every container the test harness starts; leftovers of a crashed run are removed by it. */
export const TEST_LABEL = 'dev.pointsweep.test';

/** Removes all containers (running or not) carrying the harness label; returns how many. */
export function removeLabelledContainers(): number {
  const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=${TEST_LABEL}=true`], { encoding: 'utf8' })
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length > 0) execFileSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'ignore' });
  return ids.length;
}
