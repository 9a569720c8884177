import { admissionVerdict, backpressurePolicyFromEnv } from './saga-backpressure';

describe('admission of new cash-outs by the saga backlog', () => {
  const policy = { maxOpenParts: 150, sampleMs: 1000 };

  it('takes a cash-out while fewer parts than the limit are on their way', () => {
    expect(admissionVerdict(149, policy)).toBeUndefined();
  });

  it('turns a cash-out away busy at the limit, saying why, with a retry-after between 1 and 3 s', () => {
    expect(admissionVerdict(150, policy, () => 0)).toEqual({ reason: '150 cash-out parts are already on their way (at most 150)', retryAfterMs: 1000 });
    expect(admissionVerdict(400, policy, () => 0.999)!.retryAfterMs).toBe(2998);
  });

  it('reads its limit from the environment and refuses nonsense', () => {
    expect(backpressurePolicyFromEnv({ LEDGER_MAX_OPEN_PARTS: '40' }).maxOpenParts).toBe(40);
    expect(() => backpressurePolicyFromEnv({ LEDGER_MAX_OPEN_PARTS: '0' })).toThrow(/LEDGER_MAX_OPEN_PARTS must be a positive integer/);
  });
});
