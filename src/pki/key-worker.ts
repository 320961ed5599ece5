// The phone's RSA key pair, started on a worker thread by the command's start-up (src/cli/start.ts)
// before the CLI itself loads. RSA 2048 takes 70-500 ms here (the prime search is random): on
// another core from the start it is more often ready by the certificate stage, where a start after
// the command line was parsed made fast runs wait longer. The worker is released once the command
// is done; it still ends the process only once OpenSSL returns, which is why only a bootstrap run
// starts one.

import { Worker } from 'node:worker_threads';
import { DEFAULT_KEY_BITS, type KeyPair, type RsaKeys } from './keys.js';

// Self-contained so that it runs the same from dist/ and from the bundle: no file to locate.
const WORKER_SOURCE = `
const { generateKeyPairSync } = require('node:crypto');
const { parentPort, workerData } = require('node:worker_threads');
parentPort.postMessage(generateKeyPairSync('rsa', { modulusLength: workerData.bits, publicExponent: 0x10001 }));
`;

export interface KeyWorker {
  /** Settles with the pair, or rejects if the worker failed; never rejects unobserved. */
  keyPair: Promise<KeyPair>;
  /** The command is over: the worker no longer keeps the process alive. */
  release(): void;
}

export function startKeyGenerationInWorker(bits = DEFAULT_KEY_BITS): KeyWorker {
  const started = performance.now();
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bits } });
  const keyPair = new Promise<KeyPair>((resolve, reject) => {
    worker.once('message', (pair: RsaKeys) => resolve({ ...pair, generatedInMs: Math.round(performance.now() - started), source: 'worker' }));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the key generation worker exited with code ${code} before sending a key`)));
  });
  keyPair.catch(() => undefined);
  return { keyPair, release: () => worker.unref() };
}
