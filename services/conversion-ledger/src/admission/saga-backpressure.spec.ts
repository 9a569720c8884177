import { admissionVerdict, backpressurePolicyFromEnv, nextOpenPartsLimit, turnedAwayWord } from './saga-backpressure';

describe('admission of new cash-outs by the saga backlog', () => {
  const policy = { maxOpenParts: 2000, minOpenParts: 30, targetP90Ms: 1200, windowMs: 3000, sampleMs: 1000 };

  it('takes a cash-out while fewer parts than the limit are on their way', () => {
    expect(admissionVerdict(149, 150)).toBeUndefined();
  });

  it('turns a cash-out away busy at the limit, saying why, with a retry-after between 1 and 3 s', () => {
    expect(admissionVerdict(150, 150, 1, () => 0)).toEqual({ reason: '150 cash-out parts are already on their way (at most 150 now)', retryAfterMs: 1000 });
    expect(admissionVerdict(400, 150, 1, () => 0.999)!.retryAfterMs).toBe(2998);
  });

  it('given ten requests turned away for each one taken, when one more is turned away, then it is told to come back ten times later', () => {
    expect(admissionVerdict(150, 150, 10, () => 0)!.retryAfterMs).toBe(10_000);
    expect(admissionVerdict(150, 150, 10, () => 0.5)!.retryAfterMs).toBe(20_000);
  });

  it('never asks for less than 1 s nor more than 30 s', () => {
    expect(admissionVerdict(150, 150, 0, () => 0)!.retryAfterMs).toBe(1000);
    expect(admissionVerdict(150, 150, 500, () => 0.999)!.retryAfterMs).toBe(30_000);
  });

  describe('steers the backlog by how long parts take', () => {
    it('given parts finishing well within the target, when the limit turned work away, then it grows by half', () => {
      expect(nextOpenPartsLimit({ limit: 100, openParts: 100, p90Ms: 400, limitReached: true }, policy)).toBe(150);
    });

    it('given parts finishing just within the target, when the limit turned work away, then it grows by the headroom only', () => {
      expect(nextOpenPartsLimit({ limit: 100, openParts: 100, p90Ms: 1000, limitReached: true }, policy)).toBe(120);
    });

    it('given parts finishing later than the target, then it shrinks in proportion', () => {
      expect(nextOpenPartsLimit({ limit: 1000, openParts: 1000, p90Ms: 1500, limitReached: true }, policy)).toBe(800);
    });

    it('given parts finishing far later than the target, then it shrinks by at most 40 % a sample', () => {
      expect(nextOpenPartsLimit({ limit: 1000, openParts: 1000, p90Ms: 10_000, limitReached: false }, policy)).toBe(600);
    });

    it('given nothing finished in the window (parts stuck, or a cold system), then it holds the limit even under pressure', () => {
      expect(nextOpenPartsLimit({ limit: 300, openParts: 300, p90Ms: null, limitReached: true }, policy)).toBe(300);
    });

    it('given the limit held nothing back, then it drifts down towards twice what is open, a tenth a sample', () => {
      expect(nextOpenPartsLimit({ limit: 1000, openParts: 100, p90Ms: 500, limitReached: false }, policy)).toBe(900);
      expect(nextOpenPartsLimit({ limit: 1000, openParts: 480, p90Ms: 500, limitReached: false }, policy)).toBe(960);
      expect(nextOpenPartsLimit({ limit: 1000, openParts: 700, p90Ms: 500, limitReached: false }, policy)).toBe(1000);
    });

    it('never goes below the floor (a cold system must be let in to be measured) nor above the ceiling', () => {
      expect(nextOpenPartsLimit({ limit: 30, openParts: 30, p90Ms: 5000, limitReached: true }, policy)).toBe(30);
      expect(nextOpenPartsLimit({ limit: 40, openParts: 0, p90Ms: null, limitReached: false }, policy)).toBe(36);
      expect(nextOpenPartsLimit({ limit: 1900, openParts: 1900, p90Ms: 100, limitReached: true }, policy)).toBe(2000);
    });

    it('given a surge against a saga that keeps up, when it samples every second, then the limit reaches a thousand within ten samples', () => {
      let limit = policy.minOpenParts;
      let samples = 0;
      while (limit < 1000) {
        limit = nextOpenPartsLimit({ limit, openParts: limit, p90Ms: 600, limitReached: true }, policy);
        samples++;
      }
      expect(samples).toBeLessThanOrEqual(10);
    });
  });

  it('reads its policy from the environment and refuses nonsense', () => {
    expect(backpressurePolicyFromEnv({ LEDGER_MAX_OPEN_PARTS: '400', LEDGER_TARGET_PART_P90_MS: '1500' })).toMatchObject({ maxOpenParts: 400, minOpenParts: 30, targetP90Ms: 1500, windowMs: 3000 });
    expect(() => backpressurePolicyFromEnv({ LEDGER_MAX_OPEN_PARTS: '0' })).toThrow(/LEDGER_MAX_OPEN_PARTS must be a positive integer/);
    expect(() => backpressurePolicyFromEnv({ LEDGER_TARGET_PART_P90_MS: '1.5' })).toThrow(/LEDGER_TARGET_PART_P90_MS must be a positive integer/);
    expect(() => backpressurePolicyFromEnv({ LEDGER_MIN_OPEN_PARTS: '5000' })).toThrow(/must not exceed LEDGER_MAX_OPEN_PARTS/);
    expect(backpressurePolicyFromEnv({})).toMatchObject({ maxOpenParts: 4000, minOpenParts: 30, targetP90Ms: 1500 });
  });
});

describe('the word to the door', () => {
  const at = new Date('2026-12-06T01:00:00Z');

  it('is not said when no cash-out was turned away', () => {
    expect(turnedAwayWord({ turnedAway: 0, taken: 9, overMs: 1000 }, 5, 1000, at)).toBeUndefined();
  });

  it('says how many were turned away and taken over how long, holds for two and a half samples, and asks for the retry-after the pressure sets', () => {
    const counts = { turnedAway: 7, taken: 2, overMs: 1180.4 };

    expect(turnedAwayWord(counts, 1, 1000, at)).toEqual({ turnedAway: 7, taken: 2, countedOverMs: 1180, retryAfterMs: 2000, validForMs: 2500, at: '2026-12-06T01:00:00.000Z' });
    expect(turnedAwayWord(counts, 4, 1000, at)!.retryAfterMs).toBe(8000);
    expect(turnedAwayWord(counts, 100, 1000, at)!.retryAfterMs).toBe(30_000);
  });

  it('keeps the time counted over within what the word may say, however the sampling went', () => {
    expect(turnedAwayWord({ turnedAway: 1, taken: 0, overMs: 0.2 }, 1, 1000, at)!.countedOverMs).toBe(1);
    expect(turnedAwayWord({ turnedAway: 1, taken: 0, overMs: 90_000 }, 1, 1000, at)!.countedOverMs).toBe(60_000);
  });
});
