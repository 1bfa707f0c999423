/**
 * Virtual key secrets: `sk-sy-` and 32 random base62 characters (about 190 bits), made with the
 * system's CSPRNG. Only their SHA-256 is stored, with a short visible prefix to recognise a key by.
 * A fast hash is enough here: a slow one (bcrypt, scrypt) protects guessable passwords, and nothing
 * guesses 190 random bits, so the hash of a leaked table stays useless while the gateway checks a
 * secret in microseconds with one map lookup.
 */
import { createHash, randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'sk-sy-';
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const LENGTH = 32;
/** Characters of the secret kept in the clear (`sk-sy-` and 6 more): enough to tell keys apart. */
const VISIBLE = SECRET_PREFIX.length + 6;

/** A new secret; `bytes` is injectable for tests (a CSPRNG by default). */
export function newSecret(bytes: (n: number) => Buffer = randomBytes): string {
  let out = '';
  while (out.length < LENGTH) {
    for (const b of bytes(LENGTH * 2)) {
      // 62 × 4 = 248: bytes past it are dropped so that every character is equally likely.
      if (b < 248 && out.length < LENGTH) out += ALPHABET[b % 62];
    }
  }
  return SECRET_PREFIX + out;
}

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export const visiblePrefix = (secret: string): string => secret.slice(0, VISIBLE);

/** A key id: `key_` and 16 random hex characters (not secret: it names the key in the admin API). */
export const newKeyId = (bytes: (n: number) => Buffer = randomBytes): string =>
  `key_${bytes(8).toString('hex')}`;
