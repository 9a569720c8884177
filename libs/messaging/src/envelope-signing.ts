import { createHmac, createSecretKey, hkdfSync, KeyObject, timingSafeEqual } from 'node:crypto';
import { MessageDefinition, MessageEnvelope, mustBeSigned } from '@pointsweep/contracts';
import { canonicalJson, EnvelopeRefused, MessageErrorCodes } from './envelopes';
import { KeyRing } from './security';

/**
 * Signs and checks envelopes of the types only services and operators may send (MessageDefinition.sender).
 * HMAC-SHA-256 with a key derived from each sealing key of the ring: only services and operator tools hold the
 * ring, the edge never does. The first key signs, every key verifies, so the ring rotates like the sealing keys:
 * add the new key behind the old everywhere, then move it first, then drop the old one after a day.
 */
export class EnvelopeSigner {
  private readonly keys: Map<string, KeyObject>;
  private readonly signingKeyId: string;

  constructor(ring: KeyRing) {
    if (ring.sealing.length === 0) throw new Error('no sealing key configured');
    // The key id travels in every signature ("keyId.mac"), which the envelope's contract limits to these characters.
    const badId = ring.sealing.find((k) => !/^[A-Za-z0-9_-]{1,64}$/.test(k.id));
    if (badId) throw new Error(`sealing key id "${badId.id}" must be 1-64 letters, digits, "_" or "-"`);
    this.keys = new Map(ring.sealing.map((k) => [k.id, macKey(k.key)]));
    this.signingKeyId = ring.sealing[0].id;
  }

  /** The envelope with its signature (an existing one is replaced). */
  sign<P>(envelope: MessageEnvelope<P>): MessageEnvelope<P> {
    return { ...envelope, signature: `${this.signingKeyId}.${this.mac(this.signingKeyId, envelope)}` };
  }

  /** Throws MESSAGE_NOT_AUTHENTIC unless a type that must be signed carries a signature that matches its content. */
  verify(envelope: MessageEnvelope, definition: MessageDefinition): void {
    if (!mustBeSigned(definition)) return;
    const refuse = (why: string) =>
      new EnvelopeRefused(MessageErrorCodes.notAuthentic, `${envelope.type} may only be sent by a ${definition.sender}: ${why}`, envelope);
    if (!envelope.signature) throw refuse('it carries no signature');
    const [keyId, mac] = envelope.signature.split('.');
    if (!this.keys.has(keyId)) throw refuse(`it is signed with an unknown key ${keyId}`);
    const expected = Buffer.from(this.mac(keyId, envelope), 'base64url');
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refuse('its signature does not match its content');
  }

  private mac(keyId: string, envelope: MessageEnvelope<unknown>): string {
    const { signature: _signature, ...content } = envelope;
    // Over the JSON the wire carries (a Date becomes its ISO string, undefined fields disappear), not the object.
    return createHmac('sha256', this.keys.get(keyId)!).update(canonicalJson(content)).digest('base64url');
  }
}

/**
 * A key of its own for signatures, so a MAC can never be mistaken for anything sealed with the same key. A KeyObject:
 * Node turns a Buffer key into one on every call, which made each MAC cost five times its hashing.
 */
function macKey(sealingKeyBase64: string): KeyObject {
  return createSecretKey(Buffer.from(hkdfSync('sha256', Buffer.from(sealingKeyBase64, 'base64'), Buffer.alloc(0), 'pointsweep envelope signature v1', 32)));
}
