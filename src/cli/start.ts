// How the installed command starts (bin/bootstrap-test.js runs this file's bundle,
// dist/bundle/start.cjs). For a bootstrap run, the phone's RSA key pair starts first, on a thread of
// libuv's pool, so on the other core; then the CLI, one file bundled by esbuild, is compiled from
// V8's code cache (bundle-loader.ts). All of it is CommonJS, which Node starts some 10 ms sooner
// than an ES module, and one file, so that a one-off run starts fast (npm run bench).
//
// A worker thread was measured too: its isolate takes some 55 ms to boot before the prime search
// begins, which runs waited for, and it cannot end the process any sooner while OpenSSL searches.

import { startKeyGeneration } from '../pki/keys.js';
import { loadBundledCli } from './bundle-loader.js';

/**
 * Whether the command line asks for a bootstrap run, the one command that needs a key. Any other
 * (a command word, help, the version) must not start one: a process cannot end while a thread of
 * its pool is inside OpenSSL's prime search (70-500 ms here). A wrong guess costs time only:
 * without a key from here, the run starts its own.
 */
function isBootstrapRun(args: readonly string[]): boolean {
  const first = args[0];
  if (first !== undefined && !first.startsWith('-')) return false;
  return !args.some((arg) => arg === '-h' || arg === '--help' || arg === '-V' || arg === '--version');
}

const keyPair = isBootstrapRun(process.argv.slice(2)) ? startKeyGeneration({ startedWith: 'process' }) : undefined;
const cli = loadBundledCli();
void cli
  .main(process.argv, { ...(keyPair ? { keyPair } : {}), codeCache: cli.codeCache })
  .then((code) => {
    process.exitCode = code;
  })
  .finally(() => cli.saveCodeCache());
