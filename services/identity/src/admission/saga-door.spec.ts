import { SagaAdmissionClosed } from '@pointsweep/contracts';
import { Door, stillHolds } from './saga-door';

const word = (at: Date, validForMs = 2500, retryAfterMs = 2000): SagaAdmissionClosed => ({ turnedAway: 3, retryAfterMs, validForMs, at: at.toISOString() });

describe('the door for newcomers', () => {
  it('is open until the saga says it is turning cash-outs away', () => {
    expect(new Door().verdict(1_000)).toBeUndefined();
  });

  it('turns newcomers away for as long as the word holds, then opens by itself', () => {
    const door = new Door();

    door.heard(word(new Date(0)), 10_000);

    expect(door.verdict(10_000)).toMatchObject({ reason: expect.stringMatching(/saga is turning cash-outs away/) });
    expect(door.verdict(12_499)).toBeDefined();
    expect(door.verdict(12_500)).toBeUndefined();
  });

  it('stays closed on the latest word when words overlap', () => {
    const door = new Door();

    door.heard(word(new Date(0)), 10_000);
    door.heard(word(new Date(0)), 11_000);

    expect(door.verdict(13_000)).toBeDefined();
    expect(door.verdict(13_500)).toBeUndefined();
  });

  it('asks newcomers back after the saga\'s retry-after, jittered by half either way, within the bounds of every busy answer', () => {
    const door = new Door();
    door.heard(word(new Date(0), 2500, 4000), 0);

    expect(door.verdict(1, () => 0)!.retryAfterMs).toBe(2000);
    expect(door.verdict(1, () => 0.999)!.retryAfterMs).toBe(5996);
    door.heard(word(new Date(0), 2500, 60_000), 0);
    expect(door.verdict(1, () => 0.999)!.retryAfterMs).toBe(30_000);
  });

  it('ignores a word heard after its time', () => {
    const at = new Date('2026-12-06T01:00:00Z');

    expect(stillHolds(word(at), new Date(at.getTime() + 2_000))).toBe(true);
    expect(stillHolds(word(at), new Date(at.getTime() + 2_500))).toBe(false);
  });
});
