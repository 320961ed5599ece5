// Runs the bootstrap pipeline in-process against an in-process lab pool.

import type { LookupFunction } from 'node:net';
import { startLab, type Lab, type LabOptions } from '../../src/lab/pool.js';
import { labPipelineOptions } from '../../src/cli/demo.js';
import type { BootstrapSettings } from '../../src/cli/bootstrap.js';
import { startKeyGeneration } from '../../src/pki/keys.js';
import { runPipeline, type PipelineHooks, type PipelineResult } from '../../src/stages/pipeline.js';
import { PinHolder } from '../../src/stages/pin-holder.js';
import type { PipelineOptions } from '../../src/stages/types.js';

export { startLab };
export type { Lab };

/** One RSA key for many runs: the tests are about wiring, and key generation is the slow part. */
let sharedKey: ReturnType<typeof startKeyGeneration> | undefined;
export function sharedKeyPair(): ReturnType<typeof startKeyGeneration> {
  sharedKey ??= startKeyGeneration();
  return sharedKey;
}

export interface LabRun {
  result: PipelineResult;
  pin: PinHolder;
  options: PipelineOptions;
}

export async function runAgainst(
  lab: Lab,
  overrides: Partial<BootstrapSettings> = {},
  tweak: (options: PipelineOptions) => void = () => undefined,
  hooks: PipelineHooks = {},
  pinValue = lab.sampleUser.pin ?? '',
): Promise<LabRun> {
  const options = await labPipelineOptions(lab, overrides);
  tweak(options);
  const pin = new PinHolder(pinValue);
  const result = await runPipeline(options, pin, hooks, { keyPair: sharedKeyPair(), lookup: offlineLookup });
  return { result, pin, options };
}

/**
 * The only name lookup the e2e runs may make: every lab name has a --resolve rule, so a lookup only
 * happens for a name a fault made up. `.invalid` names (RFC 6761) do not exist; any other name is
 * refused as a temporary failure rather than asked of a real resolver.
 */
export const offlineLookup: LookupFunction = (hostname, _options, callback) => {
  const code = hostname.toLowerCase().endsWith('.invalid') ? 'ENOTFOUND' : 'EAI_AGAIN';
  const error = Object.assign(new Error(`getaddrinfo ${code} ${hostname}`), { code, hostname }) as NodeJS.ErrnoException;
  process.nextTick(() => callback(error, '', 4));
};

export async function withLab<T>(options: LabOptions, body: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await startLab(options);
  try {
    return await body(lab);
  } finally {
    await lab.stop();
  }
}
