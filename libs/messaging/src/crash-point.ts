import { flushLogLines } from './logger';

/**
 * Fault tests stop a process dead at a named point (POINTSWEEP_CRASH_AT=<name>), the way kill -9 would, to prove
 * that nothing is lost or done twice across a crash there. Unset in every real deployment: then it does nothing.
 */
export function crashPoint(name: string): void {
  if (process.env.POINTSWEEP_CRASH_AT === name) {
    flushLogLines(); // the lines leading up to the crash, which SIGKILL would otherwise take with it
    process.stderr.write(JSON.stringify({ level: 'warn', msg: 'crashing at a test crash point', crashPoint: name }) + '\n');
    process.kill(process.pid, 'SIGKILL');
  }
}
