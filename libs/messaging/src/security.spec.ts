import { ErrorCodes } from '@pointsweep/contracts';
import { AssertionSigner, AssertionVerifier, generateKeyRing, KeyRing, Sealer } from './security';

describe('key rotation', () => {
  const old = generateKeyRing();
  const fresh = generateKeyRing();
  fresh.signing[0].id = 'k-new';
  fresh.sealing[0].id = 's-new';
  // The rotated ring: the new keys first (they sign and seal), the old ones after (they still verify and open).
  const rotated: KeyRing = { signing: [fresh.signing[0], old.signing[0]], sealing: [fresh.sealing[0], old.sealing[0]] };
  const now = new Date('2026-11-26T01:00:00Z');

  it('verifies assertions signed with the old key after the new key became first', () => {
    const oldToken = new AssertionSigner(old).sign('person-1', now, 1800).token;
    expect(new AssertionVerifier(rotated).verify(oldToken, now)).toBe('person-1');
    const newToken = new AssertionSigner(rotated).sign('person-2', now, 1800).token;
    expect(JSON.parse(Buffer.from(newToken.split('.')[0], 'base64url').toString()).kid).toBe('k-new');
    expect(new AssertionVerifier(rotated).verify(newToken, now)).toBe('person-2');
    // A verifier that has not learned the new key yet refuses new assertions: roll verifiers out before signers.
    expect(() => new AssertionVerifier(old).verify(newToken, now)).toThrow(expect.objectContaining({ code: ErrorCodes.assertionInvalid }));
  });

  it('opens ciphertexts sealed with the old key, and seals new ones with the new key', () => {
    const oldSealed = new Sealer(old).seal('홍길동');
    expect(new Sealer(rotated).open(oldSealed)).toBe('홍길동');
    const newSealed = new Sealer(rotated).seal('01012345678');
    expect(newSealed.startsWith('s-new.')).toBe(true);
    expect(new Sealer(rotated).open(newSealed)).toBe('01012345678');
  });

  it('keeps lookup digests stable while the oldest sealing key stays in the ring', () => {
    expect(new Sealer(rotated).digest('020:1002123456789')).toBe(new Sealer(old).digest('020:1002123456789'));
  });

  it('expires assertions by their own claims', () => {
    const token = new AssertionSigner(rotated).sign('person-3', now, 60).token;
    expect(() => new AssertionVerifier(rotated).verify(token, new Date(now.getTime() + 61_000))).toThrow(expect.objectContaining({ code: ErrorCodes.assertionExpired }));
  });
});

describe('assertions checked once', () => {
  const ring = generateKeyRing();
  const now = new Date('2026-11-26T01:00:00Z');

  it('expires a remembered assertion by its claims, as on its first use', () => {
    const verifier = new AssertionVerifier(ring);
    const token = new AssertionSigner(ring).sign('person-4', now, 60).token;
    expect(verifier.verify(token, now)).toBe('person-4');
    expect(verifier.verify(token, new Date(now.getTime() + 30_000))).toBe('person-4');
    expect(() => verifier.verify(token, new Date(now.getTime() + 61_000))).toThrow(expect.objectContaining({ code: ErrorCodes.assertionExpired }));
  });

  it('never remembers a refused assertion: a tampered copy of a remembered one is refused', () => {
    const verifier = new AssertionVerifier(ring);
    const token = new AssertionSigner(ring).sign('person-5', now, 600).token;
    expect(verifier.verify(token, now)).toBe('person-5');
    const [header, , signature] = token.split('.');
    const forgedClaims = Buffer.from(JSON.stringify({ sub: 'person-6', exp: Math.floor(now.getTime() / 1000) + 600 })).toString('base64url');
    const forged = `${header}.${forgedClaims}.${signature}`;
    expect(() => verifier.verify(forged, now)).toThrow(expect.objectContaining({ code: ErrorCodes.assertionInvalid }));
    expect(() => verifier.verify(forged, now)).toThrow(expect.objectContaining({ code: ErrorCodes.assertionInvalid }));
  });

  it('forgets the oldest assertion beyond its bound, and still verifies it when it comes again', () => {
    const verifier = new AssertionVerifier(ring, 2);
    const tokens = ['a', 'b', 'c'].map((p) => new AssertionSigner(ring).sign(`person-${p}`, now, 600).token);
    expect(tokens.map((t) => verifier.verify(t, now))).toEqual(['person-a', 'person-b', 'person-c']);
    expect(verifier.verify(tokens[0], now)).toBe('person-a');
  });
});
