// How the installed command starts (bin/bootstrap-test.js runs this file's bundle,
// dist/bundle/start.cjs). For a bootstrap run, the phone's RSA key pair starts on a worker thread
// first, on the other core (../pki/key-worker.ts); then the CLI, one file bundled by esbuild, is
// compiled from V8's code cache (bundle-loader.ts). All of it is CommonJS, which Node starts some
// 10 ms sooner than an ES module, and one file, so that a one-off run starts fast (npm run bench).

import { startKeyGenerationInWorker, type KeyWorker } from '../pki/key-worker.js';
import { loadBundledCli } from './bundle-loader.js';

/**
 * Whether the command line asks for a bootstrap run, the one command that needs a key. Any other
 * (a command word, help, the version) must not start one: a process cannot end while its worker is
 * inside OpenSSL's prime search. A wrong guess costs time only: without a key from here, the run
 * starts its own.
 */
function isBootstrapRun(args: readonly string[]): boolean {
  const first = args[0];
  if (first !== undefined && !first.startsWith('-')) return false;
  return !args.some((arg) => arg === '-h' || arg === '--help' || arg === '-V' || arg === '--version');
}

const keys: KeyWorker | undefined = isBootstrapRun(process.argv.slice(2)) ? startKeyGenerationInWorker() : undefined;
const cli = loadBundledCli();
void cli
  .main(process.argv, { ...(keys ? { keyPair: keys.keyPair } : {}), codeCache: cli.codeCache })
  .then((code) => {
    process.exitCode = code;
  })
  .finally(() => {
    keys?.release();
    cli.saveCodeCache();
  });
