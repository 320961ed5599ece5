#!/usr/bin/env node
// Entry point of the installed command. Before the CLI loads, the phone's RSA key pair starts on a
// worker thread, on the other core (src/pki/key-worker.ts); the CLI itself is one file bundled by
// esbuild (npm run build) and compiled from V8's code cache (src/cli/bundle-loader.ts). Both are
// there so that a one-off run starts fast; npm run bench measures it.
import { startKeyGenerationInWorker } from '../dist/pki/key-worker.js';
import { loadBundledCli } from '../dist/cli/bundle-loader.js';

const keys = startKeyGenerationInWorker();
const cli = loadBundledCli();
try {
  process.exitCode = await cli.main(process.argv, { keyPair: keys.keyPair, codeCache: cli.codeCache });
} finally {
  keys.release();
  cli.saveCodeCache();
}
