// The phone's RSA key pair, from node:crypto. Kept apart from the CSR code so that starting key
// generation loads no ASN.1 library: the command's start-up begins it with the process
// (src/cli/start.ts), and a run without one begins it before its first packet.

import { generateKeyPair, type KeyObject } from 'node:crypto';

export const DEFAULT_KEY_BITS = 2048;

/** The two halves of an RSA key pair, wherever they came from. */
export interface RsaKeys {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

/** When a pair was started, or that it was held: see KEY_SOURCE_TEXT. */
export type KeySource = 'process' | 'command' | 'held';

/** For the -v log: where the pair came from, as the end of a sentence. */
export const KEY_SOURCE_TEXT: Readonly<Record<KeySource, string>> = {
  process: "on libuv's thread pool, started with the process",
  command: "on libuv's thread pool, started with the command",
  held: 'held from an earlier sign-in',
};

export interface KeyPair extends RsaKeys {
  /** How long generation took (it overlaps the network stages of a run). */
  generatedInMs: number;
  source: KeySource;
}

/**
 * Start generating an RSA key pair now and collect it later: the promise may sit unawaited while
 * other stages run (a rejection is only reported to whoever awaits it).
 */
export function startKeyGeneration({ bits = DEFAULT_KEY_BITS, startedWith = 'command' }: { bits?: number; startedWith?: Exclude<KeySource, 'held'> } = {}): Promise<KeyPair> {
  const started = performance.now();
  const pending = new Promise<KeyPair>((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: bits, publicExponent: 0x10001 }, (error, publicKey, privateKey) => {
      if (error) reject(error);
      else resolve({ publicKey, privateKey, generatedInMs: Math.round(performance.now() - started), source: startedWith });
    });
  });
  pending.catch(() => undefined);
  return pending;
}
