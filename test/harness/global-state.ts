import type { StartedTestContainer } from 'testcontainers';

/** Shared between the global setup and teardown (both run in Jest's parent context). */
interface HarnessState {
  /** True when the setup started the stack (false when TEST_KAFKA_BROKERS/TEST_PG_URL were given). */
  managed: boolean;
  containers: StartedTestContainer[];
}

const KEY = '__pointsweepHarness';

export function harnessState(): HarnessState {
  const g = globalThis as unknown as Record<string, HarnessState | undefined>;
  return (g[KEY] ??= { managed: false, containers: [] });
}
