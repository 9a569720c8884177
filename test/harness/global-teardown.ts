import { removeLabelledContainers } from './docker';
import { harnessState } from './global-state';

export default async function globalTeardown(): Promise<void> {
  const state = harnessState();
  if (!state.managed) return; // an externally provided stack is left alone
  const containers = state.containers;
  state.containers = [];
  state.managed = false;
  await Promise.allSettled(containers.map((c) => c.stop({ timeout: 0, remove: true })));
  // Catches anything else left with the harness label (e.g. a container whose start failed half-way).
  removeLabelledContainers();
}
