import type { KeyObject } from 'node:crypto';
import forge from 'node-forge';

/**
 * A node:crypto RSA public key as node-forge needs it, built from its modulus and exponent: Node
 * exports those as JWK in about a microsecond, where the SubjectPublicKeyInfo export plus forge's PEM
 * parse costs some 150 µs.
 */
export function forgePublicKey(publicKey: KeyObject): forge.pki.rsa.PublicKey {
  const { n, e } = publicKey.export({ format: 'jwk' });
  if (n === undefined || e === undefined) throw new TypeError('the key is not an RSA key');
  const integer = (base64url: string) => new forge.jsbn.BigInteger(Buffer.from(base64url, 'base64url').toString('hex'), 16);
  return forge.pki.setRsaPublicKey(integer(n), integer(e));
}
