// Runs the bootstrap pipeline in-process against an in-process lab pool.

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
  const result = await runPipeline(options, pin, hooks, { keyPair: sharedKeyPair() });
  return { result, pin, options };
}

export async function withLab<T>(options: LabOptions, body: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await startLab(options);
  try {
    return await body(lab);
  } finally {
    await lab.stop();
  }
}
