import { createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, KeyObject, randomBytes, sign, verify } from 'node:crypto';
import { ErrorCodes, PointsweepError } from '@pointsweep/contracts';

/** Keys come from configuration; several may be live at once so they can be rotated without downtime. */
export interface KeyRing {
  /** Ed25519 keys, PEM; the first signs, all verify. */
  signing: { id: string; privateKeyPem?: string; publicKeyPem: string }[];
  /** AES-256 keys, base64; the first seals, all open. */
  sealing: { id: string; key: string }[];
}

export interface IdentityClaims {
  sub: string; // person id
  iat: number;
  exp: number;
}

const b64url = (b: Buffer) => b.toString('base64url');

export function generateKeyRing(): KeyRing {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    signing: [{
      id: `k${Date.now().toString(36)}`,
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    }],
    sealing: [{ id: `s${Date.now().toString(36)}`, key: randomBytes(32).toString('base64') }],
  };
}

/** Compact signed token: header.claims.signature, Ed25519. */
export class AssertionSigner {
  private readonly key: KeyObject;
  constructor(private readonly ring: KeyRing) {
    const first = ring.signing[0];
    if (!first?.privateKeyPem) throw new Error('no signing key configured');
    this.key = createPrivateKey(first.privateKeyPem);
  }

  sign(personId: string, issuedAt: Date, ttlSeconds: number): { token: string; expiresAt: Date } {
    const iat = Math.floor(issuedAt.getTime() / 1000);
    const claims: IdentityClaims = { sub: personId, iat, exp: iat + ttlSeconds };
    const head = b64url(Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: this.ring.signing[0].id })));
    const body = b64url(Buffer.from(JSON.stringify(claims)));
    const signature = sign(null, Buffer.from(`${head}.${body}`), this.key);
    return { token: `${head}.${body}.${b64url(signature)}`, expiresAt: new Date(claims.exp * 1000) };
  }
}

export class AssertionVerifier {
  private readonly keys: Map<string, KeyObject>;
  /**
   * Tokens whose signature already checked out, with their claims: a person's every lookup carries the same token,
   * and the signature check was 2-3 % of the card-company service's CPU. Same bytes, same verdict; expiry is still
   * judged on every use. Bounded: the oldest entry goes first.
   */
  private readonly verified = new Map<string, { sub: string; exp: number }>();
  constructor(ring: KeyRing, private readonly maxRemembered = 20_000) {
    this.keys = new Map(ring.signing.map((k) => [k.id, createPublicKey(k.publicKeyPem)]));
  }

  /** Returns the person id the assertion speaks for, or throws a coded refusal. */
  verify(token: string, now: Date): string {
    const claims = this.verified.get(token) ?? this.checkSignature(token);
    if (claims.exp * 1000 <= now.getTime()) {
      throw new PointsweepError(ErrorCodes.assertionExpired, 'identity assertion has expired; verify again');
    }
    return claims.sub;
  }

  private checkSignature(token: string): { sub: string; exp: number } {
    const invalid = (why: string) => new PointsweepError(ErrorCodes.assertionInvalid, `identity assertion refused: ${why}`);
    const parts = token.split('.');
    if (parts.length !== 3) throw invalid('malformed');
    let header: { kid?: string };
    let claims: IdentityClaims;
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString());
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
    } catch {
      throw invalid('malformed');
    }
    const key = header.kid ? this.keys.get(header.kid) : undefined;
    if (!key) throw invalid('unknown signing key');
    if (!verify(null, Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2], 'base64url'))) throw invalid('bad signature');
    if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number') throw invalid('missing claims');
    const checked = { sub: claims.sub, exp: claims.exp };
    if (this.verified.size >= this.maxRemembered) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, checked);
    return checked;
  }
}

/** AES-256-GCM for personal data at rest and the sealed account number in messages: "keyId.iv.tag.ciphertext". */
export class Sealer {
  /** KeyObjects made once: Node makes one from a Buffer key on every call, three quarters of a seal's cost. */
  private readonly keys: Map<string, KeyObject>;

  constructor(private readonly ring: KeyRing) {
    if (ring.sealing.length === 0) throw new Error('no sealing key configured');
    this.keys = new Map(ring.sealing.map((k) => [k.id, createSecretKey(Buffer.from(k.key, 'base64'))]));
  }

  seal(plaintext: string): string {
    const { id } = this.ring.sealing[0];
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(id)!, iv);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [id, b64url(iv), b64url(cipher.getAuthTag()), b64url(data)].join('.');
  }

  open(sealed: string): string {
    const [id, iv, tag, data] = sealed.split('.');
    const key = this.keys.get(id);
    if (!key) throw new Error(`unknown sealing key ${id}`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** A keyed digest for looking up sealed values by equality without storing them in the clear. */
  digest(value: string): string {
    return createHash('sha256').update(this.ring.sealing[this.ring.sealing.length - 1].key).update(value).digest('base64url');
  }
}
