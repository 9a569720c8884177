import { MessageEnvelope, PointsweepError, messageDefinition } from '@pointsweep/contracts';
import { buildEnvelope, contentDigest, MessageErrorCodes } from './envelopes';
import { EnvelopeSigner } from './envelope-signing';
import { generateKeyRing, KeyRing } from './security';

const redeem = messageDefinition('RedeemPoints')!;
const lookup = messageDefinition('LookupPoints')!;
const redeemPayload = { partId: '6f1c1f7e-3c3b-4a39-9d59-3f0c8f7a1e11', personId: '1b7c2a55-0d0e-4a55-8a0e-7c1d7d3b9a10', program: 'KB_POINTREE', points: 100, idempotencyKey: 'idem-0001' };
const aRedeem = () => buildEnvelope(redeem, { ...redeemPayload }, { key: redeemPayload.personId });

/** The refusal's code, or undefined when the envelope is taken. */
function refusal(signer: EnvelopeSigner, envelope: MessageEnvelope<object>, definition = redeem): string | undefined {
  try {
    signer.verify(envelope as MessageEnvelope, definition);
    return undefined;
  } catch (error) {
    return (error as PointsweepError).code;
  }
}

describe('EnvelopeSigner', () => {
  const ring = generateKeyRing();
  const signer = new EnvelopeSigner(ring);

  it('takes a service command signed with the ring, after a JSON round trip that reorders its keys', () => {
    const signed = signer.sign(aRedeem());
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(signed).reverse())));
    expect(refusal(signer, reordered)).toBeUndefined();
  });

  it('refuses a service command that carries no signature', () => {
    expect(refusal(signer, aRedeem())).toBe(MessageErrorCodes.notAuthentic);
  });

  it('refuses a signed service command whose content was changed after signing', () => {
    const signed = signer.sign(aRedeem());
    expect(refusal(signer, { ...signed, payload: { ...signed.payload, points: 1_000_000 } })).toBe(MessageErrorCodes.notAuthentic);
    expect(refusal(signer, { ...signed, key: 'someone-else' })).toBe(MessageErrorCodes.notAuthentic);
  });

  it('refuses a service command signed with a key ring the services do not hold', () => {
    const forged = new EnvelopeSigner(generateKeyRing()).sign(aRedeem());
    expect(refusal(signer, forged)).toBe(MessageErrorCodes.notAuthentic);
  });

  it('refuses a signature under the ring\'s own key id made with another key', () => {
    const impostorRing: KeyRing = { ...generateKeyRing(), sealing: [{ id: ring.sealing[0].id, key: generateKeyRing().sealing[0].key }] };
    expect(refusal(signer, new EnvelopeSigner(impostorRing).sign(aRedeem()))).toBe(MessageErrorCodes.notAuthentic);
  });

  it('takes an edge command with no signature: a person\'s commands carry an identity assertion instead', () => {
    const edge = buildEnvelope(lookup, { assertion: 'a.b.c' }, { key: 'p' });
    expect(refusal(signer, edge, lookup)).toBeUndefined();
  });

  it('takes messages signed with the old key while the new key signs, after a rotation', () => {
    const fresh = generateKeyRing();
    fresh.sealing[0].id = `${ring.sealing[0].id}-next`;
    const rotated = new EnvelopeSigner({ ...ring, sealing: [fresh.sealing[0], ring.sealing[0]] });
    const signedBefore = signer.sign(aRedeem());
    const signedAfter = rotated.sign(aRedeem());
    expect(signedAfter.signature!.startsWith(`${fresh.sealing[0].id}.`)).toBe(true);
    expect(refusal(rotated, signedBefore)).toBeUndefined();
    expect(refusal(rotated, signedAfter)).toBeUndefined();
    // Not yet rotated: roll the new key out to every verifier before any signer puts it first.
    expect(refusal(signer, signedAfter)).toBe(MessageErrorCodes.notAuthentic);
  });

  it('signs what the wire carries: a Date in the payload verifies as its ISO string after the trip', () => {
    const withDate = signer.sign(buildEnvelope(redeem, { ...redeemPayload, at: new Date('2026-11-26T01:00:00Z') }, { key: 'p' }));
    expect(refusal(signer, JSON.parse(JSON.stringify(withDate)))).toBeUndefined();
  });

  it('signs what the wire carries: a field left undefined is not there after the trip, and the signature still holds', () => {
    const withUndefined = signer.sign(buildEnvelope(redeem, { ...redeemPayload, note: undefined, list: [1, undefined] }, { key: 'p' }));
    expect(refusal(signer, JSON.parse(JSON.stringify(withUndefined)))).toBeUndefined();
  });

  it('refuses a key ring whose key id could not travel in a signature', () => {
    const ring = generateKeyRing();
    ring.sealing[0].id = 'key.with.dots';
    expect(() => new EnvelopeSigner(ring)).toThrow(/sealing key id "key.with.dots"/);
  });

  it('leaves the content digest unchanged, so a copy re-signed after a rotation is still a redelivery', () => {
    const envelope = aRedeem();
    expect(contentDigest(signer.sign(envelope))).toBe(contentDigest(envelope));
  });
});
