import { JsonLogger } from './logger';
import { PollingLoop } from './polling-loop';

const logger = new JsonLogger('polling-loop-spec', 'error');

/** Waits for a condition, polling, with a deadline. */
async function until(condition: () => boolean, deadlineMs = 5000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('PollingLoop with a minimum spacing between ticks', () => {
  it('takes the work of many kicks in few ticks, never starting two ticks closer than the spacing', async () => {
    // given a loop whose ticks start at least 40 ms apart and an idle time far longer than the test
    const starts: number[] = [];
    const loop = new PollingLoop('spec', async () => {
      starts.push(performance.now());
      return false;
    }, logger, 60_000, 40);
    loop.start();
    await until(() => starts.length === 1);

    // when it is kicked every 2 ms for 200 ms (a commit per message under load)
    const kicking = setInterval(() => loop.kick(), 2);
    await until(() => starts.length >= 5);
    clearInterval(kicking);
    await loop.stop();

    // then about one tick per 40 ms ran, not one per kick (timers are good to a millisecond or two)
    const gaps = starts.slice(1).map((t, i) => t - starts[i]);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(38);
  });

  it('runs a kick after a quiet spell at once', async () => {
    const starts: number[] = [];
    const loop = new PollingLoop('spec', async () => {
      starts.push(performance.now());
      return false;
    }, logger, 60_000, 40);
    loop.start();
    await until(() => starts.length === 1);
    await until(() => performance.now() - starts[0] > 50);
    const kickedAt = performance.now();
    loop.kick();
    await until(() => starts.length === 2);
    await loop.stop();
    expect(starts[1] - kickedAt).toBeLessThan(30);
  });

  it('stops while it waits out the spacing', async () => {
    let ticks = 0;
    const loop = new PollingLoop('spec', async () => {
      ticks++;
      return true; // always more work: the next tick waits only for the spacing
    }, logger, 60_000, 60_000);
    loop.start();
    await until(() => ticks === 1);
    const stopping = performance.now();
    await loop.stop();
    expect(performance.now() - stopping).toBeLessThan(1000);
    expect(ticks).toBe(1);
  });
});
