import { settleWithinBudget } from './within-budget';

describe('settle within budget', () => {
  it('given one answer and one hung call, when the budget passes, then the answer is kept, the hung call fails and is aborted', async () => {
    let aborted = false;
    const started = performance.now();
    const results = await settleWithinBudget<string, number>(
      [
        ['fast', async () => 1],
        ['hung', (signal) => new Promise<number>(() => signal.addEventListener('abort', () => { aborted = true; }))],
      ],
      50,
    );
    expect(performance.now() - started).toBeLessThan(1000);
    expect(results.get('fast')).toEqual({ ok: true, value: 1 });
    expect(results.get('hung')).toMatchObject({ ok: false, error: { code: 'LOOKUP_BUDGET_EXHAUSTED' } });
    expect(aborted).toBe(true);
  });

  it('given a failing call, when settled, then its error is reported and the others are unaffected', async () => {
    const boom = new Error('boom');
    const results = await settleWithinBudget<string, number>([['a', async () => { throw boom; }], ['b', async () => 2]], 1000);
    expect(results.get('a')).toEqual({ ok: false, error: boom });
    expect(results.get('b')).toEqual({ ok: true, value: 2 });
  });

  it('given a call with its own short wait, when that passes, then it counts as failed at once but runs on unaborted', async () => {
    let aborted = false;
    let finished = false;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const started = performance.now();
    const results = await settleWithinBudget<string, number>(
      [
        ['fast', async () => 1],
        ['trial', async (signal) => {
          signal.addEventListener('abort', () => { aborted = true; });
          await released;
          finished = true;
          return 3;
        }, 20],
      ],
      10_000,
    );
    expect(performance.now() - started).toBeLessThan(5000);
    expect(results.get('fast')).toEqual({ ok: true, value: 1 });
    expect(results.get('trial')).toMatchObject({ ok: false, error: { code: 'LOOKUP_WAIT_EXHAUSTED' } });
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(finished).toBe(true);
    expect(aborted).toBe(false);
  });

  it('given a call with its own wait that answers in time, then its answer is kept', async () => {
    const results = await settleWithinBudget<string, number>([['quick', async () => 7, 1000]], 10_000);
    expect(results.get('quick')).toEqual({ ok: true, value: 7 });
  });

  it('given no calls, when settled, then the answer is immediate and empty', async () => {
    expect((await settleWithinBudget([], 10_000)).size).toBe(0);
  });
});
