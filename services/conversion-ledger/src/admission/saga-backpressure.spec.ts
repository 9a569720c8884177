import { admissionVerdict, backpressurePolicyFromEnv, openPartsLimit } from './saga-backpressure';

describe('admission of new cash-outs by the saga backlog', () => {
  const policy = { maxOpenParts: 150, minOpenParts: 30, targetSeconds: 2, windowMs: 10_000, sampleMs: 1000 };

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

  describe('sizes the backlog so an accepted part waits about the target time', () => {
    it('given 230 parts finished in the last 10 s, when the target is 2 s, then 46 parts may be open', () => {
      expect(openPartsLimit(230, policy)).toBe(46);
    });

    it('given a faster saga, when it finishes 500 parts in 10 s, then the limit grows with it', () => {
      expect(openPartsLimit(500, policy)).toBe(100);
    });

    it('given nothing finished yet (a cold system), then the floor still lets work in to be measured', () => {
      expect(openPartsLimit(0, policy)).toBe(30);
    });

    it('given a throughput beyond the ceiling, then the limit stops at the ceiling', () => {
      expect(openPartsLimit(100_000, policy)).toBe(150);
    });

    it('rounds a fractional rate up, never down to a smaller backlog than the rate allows', () => {
      expect(openPartsLimit(231, policy)).toBe(47);
    });
  });

  it('reads its policy from the environment and refuses nonsense', () => {
    expect(backpressurePolicyFromEnv({ LEDGER_MAX_OPEN_PARTS: '400', LEDGER_TARGET_PART_SECONDS: '3' })).toMatchObject({ maxOpenParts: 400, minOpenParts: 30, targetSeconds: 3, windowMs: 10_000 });
    expect(() => backpressurePolicyFromEnv({ LEDGER_MAX_OPEN_PARTS: '0' })).toThrow(/LEDGER_MAX_OPEN_PARTS must be a positive integer/);
    expect(() => backpressurePolicyFromEnv({ LEDGER_TARGET_PART_SECONDS: '1.5' })).toThrow(/LEDGER_TARGET_PART_SECONDS must be a positive integer/);
    expect(() => backpressurePolicyFromEnv({ LEDGER_MIN_OPEN_PARTS: '500' })).toThrow(/must not exceed LEDGER_MAX_OPEN_PARTS/);
    expect(backpressurePolicyFromEnv({})).toMatchObject({ maxOpenParts: 400, minOpenParts: 30, targetSeconds: 2 });
  });
});
