import { CashOutsTurnedAway } from '@pointsweep/contracts';
import { Door, stillHolds } from './saga-door';

const word = (taken: number, turnedAway: number, options: { at?: Date; validForMs?: number; retryAfterMs?: number } = {}): CashOutsTurnedAway => ({
  turnedAway, taken, retryAfterMs: options.retryAfterMs ?? 2000, validForMs: options.validForMs ?? 2500, at: (options.at ?? new Date(0)).toISOString(),
});
/** Draws these numbers in turn, as Math.random would. */
const draws = (...values: number[]) => () => values.shift() ?? 0;

describe('the door for newcomers', () => {
  it('lets everyone in until the saga says it is turning cash-outs away', () => {
    expect(new Door().verdict(1_000, draws(0.999))).toBeUndefined();
  });

  it('lets newcomers in at the saga\'s cash-outs taken per one turned away, and turns the rest away busy', () => {
    const door = new Door();

    door.heard(word(1, 4), 10_000);

    expect(door.verdict(10_000, draws(0.2))).toBeUndefined();
    expect(door.verdict(10_000, draws(0.3, 0.5))).toEqual({ reason: expect.stringMatching(/newcomers are let in at the share it takes \(25 %\)/), retryAfterMs: 2000 });
  });

  it('lets everyone in while the saga takes at least as many cash-outs as it turns away', () => {
    const door = new Door();

    door.heard(word(6, 6), 10_000);

    expect(door.verdict(10_000, draws(0.999))).toBeUndefined();
  });

  it('turns every newcomer away while the saga takes none', () => {
    const door = new Door();

    door.heard(word(0, 5), 0);

    expect(door.verdict(1, draws(0, 0.5))).toBeDefined();
  });

  it('lets everyone in again once the last word no longer holds', () => {
    const door = new Door();

    door.heard(word(0, 5), 10_000);

    expect(door.verdict(12_499, draws(0.999, 0.5))).toBeDefined();
    expect(door.verdict(12_500, draws(0.999))).toBeUndefined();
  });

  it('goes by the latest word', () => {
    const door = new Door();

    door.heard(word(0, 5), 10_000);
    door.heard(word(1, 2), 11_000);

    expect(door.verdict(11_000, draws(0.45))).toBeUndefined();
    expect(door.verdict(13_499, draws(0.55, 0.5))).toBeDefined();
  });

  it('asks newcomers back after the saga\'s retry-after, jittered by half either way, within the bounds of every busy answer', () => {
    const door = new Door();
    door.heard(word(0, 1, { retryAfterMs: 4000 }), 0);

    expect(door.verdict(1, draws(0.5, 0))!.retryAfterMs).toBe(2000);
    expect(door.verdict(1, draws(0.5, 0.999))!.retryAfterMs).toBe(5996);
    door.heard(word(0, 1, { retryAfterMs: 60_000 }), 0);
    expect(door.verdict(1, draws(0.5, 0.999))!.retryAfterMs).toBe(30_000);
  });

  it('ignores a word heard after its time', () => {
    const at = new Date('2026-12-06T01:00:00Z');

    expect(stillHolds(word(0, 1, { at }), new Date(at.getTime() + 2_000))).toBe(true);
    expect(stillHolds(word(0, 1, { at }), new Date(at.getTime() + 2_500))).toBe(false);
  });
});
