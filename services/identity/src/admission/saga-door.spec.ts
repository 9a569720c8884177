import { CashOutsTurnedAway } from '@pointsweep/contracts';
import { Door, doorEaseMsFromEnv, stillHolds } from './saga-door';

const word = (taken: number, turnedAway: number, options: { at?: Date; validForMs?: number; retryAfterMs?: number; countedOverMs?: number } = {}): CashOutsTurnedAway => ({
  turnedAway, taken, countedOverMs: options.countedOverMs ?? 1000, retryAfterMs: options.retryAfterMs ?? 2000, validForMs: options.validForMs ?? 2500,
  at: (options.at ?? new Date(0)).toISOString(),
});
/** Draws these numbers in turn, as Math.random would. */
const draws = (...values: number[]) => () => values.shift() ?? 0;
/** How many of the newcomers knocking every `everyMs` from `from` until `to` are let in. */
const letInBetween = (door: Door, from: number, to: number, everyMs = 10) => {
  let letIn = 0;
  for (let now = from; now < to; now += everyMs) if (door.verdict(now, draws(0.5)) === undefined) letIn++;
  return letIn;
};

describe('the door for newcomers', () => {
  it('lets everyone in until the saga says it is turning cash-outs away', () => {
    const door = new Door();

    expect(letInBetween(door, 0, 1_000)).toBe(100);
  });

  it('lets newcomers in at the rate the saga takes cash-outs, and turns the rest away busy', () => {
    const door = new Door();

    door.heard(word(4, 10), 10_000);

    // A second's worth at once (the bucket was full while the door stood open), then four a second.
    expect(letInBetween(door, 10_000, 10_001, 0.1)).toBe(4);
    expect(door.verdict(10_001)).toEqual({ reason: expect.stringMatching(/newcomers are let in at the rate it takes them \(4\.0 a second here\)/), retryAfterMs: expect.any(Number) });
    expect(letInBetween(door, 10_010, 12_010)).toBe(8);
  });

  it('counts the saga\'s rate over the time its counts cover', () => {
    const door = new Door();

    door.heard(word(3, 10, { countedOverMs: 1500 }), 10_000);

    expect(door.rateAt(10_000)).toBe(2);
  });

  it('lets in no more than a second\'s worth at once after a quiet spell', () => {
    const door = new Door();
    door.heard(word(5, 10, { validForMs: 60_000 }), 0);
    letInBetween(door, 0, 1, 0.1);

    expect(letInBetween(door, 30_000, 30_001, 1 / 100)).toBe(5);
  });

  it('never narrows while the saga takes at least as many cash-outs as it turns away', () => {
    const door = new Door();

    door.heard(word(6, 6), 10_000);

    expect(door.rateAt(10_000)).toBeUndefined();
    expect(letInBetween(door, 10_000, 11_000)).toBe(100);
  });

  it('lets in one newcomer a second while the saga takes none', () => {
    const door = new Door();

    door.heard(word(0, 5), 0);

    expect(letInBetween(door, 0, 2_010)).toBe(3);
  });

  it('lets in this instance\'s share of the saga\'s rate when it gets a share of the newcomers', () => {
    const door = new Door();

    door.heard(word(8, 20), 0, 0.5);

    expect(door.rateAt(0)).toBe(4);
  });

  it('eases off after the last word, doubling the rate four times, and then lets everyone in', () => {
    const door = new Door(20_000);

    door.heard(word(4, 10), 10_000);

    expect(door.rateAt(12_499)).toBe(4);
    expect(door.rateAt(12_500 + 5_000)).toBe(8);
    expect(door.rateAt(12_500 + 15_000)).toBe(32);
    expect(door.rateAt(12_500 + 19_999)).toBeCloseTo(64, 1);
    expect(door.rateAt(12_500 + 20_000)).toBeUndefined();
    expect(letInBetween(door, 32_500, 33_500)).toBe(100);
  });

  it('opens at once when the last word no longer holds, if told to ease off over no time', () => {
    const door = new Door(0);

    door.heard(word(0, 5), 10_000);

    expect(letInBetween(door, 10_000, 12_500)).toBe(3);
    expect(letInBetween(door, 12_500, 13_500)).toBe(100);
  });

  it('keeps easing off when the saga says it keeps up again', () => {
    const door = new Door(20_000);
    door.heard(word(4, 10), 10_000);

    door.heard(word(10, 1), 17_500);

    expect(door.rateAt(17_500)).toBe(8);
  });

  it('averages the saga\'s rate over about ten seconds of its words, so a second in which it took none does not shut the door', () => {
    const door = new Door();
    door.heard(word(10, 20), 10_000);

    door.heard(word(0, 30), 11_000);
    expect(door.rateAt(11_000)).toBe(9);
    // Two seconds' counts weigh twice.
    door.heard(word(19, 30, { countedOverMs: 2000 }), 13_000);
    expect(door.rateAt(13_000)).toBeCloseTo(9 + 0.2 * (9.5 - 9), 6);
  });

  it('starts from the saga\'s rate of the word that narrows it, whatever it said before it last opened', () => {
    const door = new Door(0);
    door.heard(word(10, 20), 10_000);

    door.heard(word(2, 20), 20_000);

    expect(door.rateAt(20_000)).toBe(2);
  });

  it('asks newcomers back after the saga\'s retry-after, jittered by half either way, within the bounds of every busy answer', () => {
    const door = new Door();
    door.heard(word(0, 1, { retryAfterMs: 4000 }), 0);
    door.verdict(0);

    expect(door.verdict(1, draws(0))!.retryAfterMs).toBe(2000);
    expect(door.verdict(1, draws(0.999))!.retryAfterMs).toBe(5996);
    door.heard(word(0, 1, { retryAfterMs: 60_000 }), 0);
    expect(door.verdict(1, draws(0.999))!.retryAfterMs).toBe(30_000);
  });

  it('ignores a word heard after its time', () => {
    const at = new Date('2026-12-06T01:00:00Z');

    expect(stillHolds(word(0, 1, { at }), new Date(at.getTime() + 2_000))).toBe(true);
    expect(stillHolds(word(0, 1, { at }), new Date(at.getTime() + 2_500))).toBe(false);
  });

  it('takes how long it eases off from IDENTITY_DOOR_EASE_MS, 20 s unless told, and refuses what is not a whole number of ms', () => {
    expect(doorEaseMsFromEnv({})).toBe(20_000);
    expect(doorEaseMsFromEnv({ IDENTITY_DOOR_EASE_MS: '3000' })).toBe(3000);
    expect(() => doorEaseMsFromEnv({ IDENTITY_DOOR_EASE_MS: 'soon' })).toThrow(/IDENTITY_DOOR_EASE_MS must be a whole number of ms, got soon/);
  });
});
