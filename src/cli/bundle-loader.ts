// Loads the bundled CLI (dist/bundle/cli.cjs, made by esbuild in npm run build) with V8's code
// cache. Node 20 keeps no compiled code between runs, so every start would parse and compile the
// CLI afresh; with the cache beside the bundle it is deserialised instead (npm run bench measures
// the difference). The build makes the cache from one whole sign-in (warm-code-cache.ts); a run
// that found none, or one V8 refused (made by another Node version), writes a new one if the
// directory lets it. A refused or missing cache costs time only: V8 checks the source, its own
// version and its flags before it uses one.

import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import type { CodeCacheState, main as CliMain } from './main.js';

export interface BundledCli {
  main: typeof CliMain;
  codeCache: CodeCacheState;
  /** Writes a fresh cache if this run had no usable one; call once the command is done. */
  saveCodeCache(): void;
}

const BUNDLE = join(dirname(fileURLToPath(import.meta.url)), '..', 'bundle', 'cli.cjs');

export interface LoadOptions {
  /** Defaults to dist/bundle/cli.cjs beside this module's dist/cli/ (tests running the sources name it). */
  bundle?: string;
  /** Defaults to the bundle's own (tests point it elsewhere). */
  cacheFile?: string;
  /** Ignore any cache there is and compile afresh (the build's warm-up, which writes a new one). */
  fresh?: boolean;
}

export function loadBundledCli({ bundle = BUNDLE, cacheFile = `${bundle}.v8cache`, fresh = false }: LoadOptions = {}): BundledCli {
  // V8 keeps WebAssembly on its baseline tier. Otherwise it recompiles undici's HTTP parser with its
  // optimising tier on a helper thread, and a short process waits about 150 ms at exit for a compile
  // it never uses; the baseline code parses a run's few KB as well. Set here because V8 refuses a
  // code cache made under other flags: the cache is made and used by this same function.
  setFlagsFromString('--liftoff-only');
  let cachedData: Buffer | undefined;
  try {
    cachedData = fresh ? undefined : readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // esbuild writes ASCII only (non-ASCII characters as escapes), so latin1 is an exact and fast decode.
  const source = readFileSync(bundle, 'latin1');
  const script = new Script(Module.wrap(source), {
    filename: bundle,
    ...(cachedData ? { cachedData } : {}),
  });
  const codeCache: CodeCacheState = cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'refused' : 'used';
  const module = { exports: {} as { main: typeof CliMain } };
  const load = script.runInThisContext() as (exports: object, require: NodeRequire, module: object, filename: string, dirname: string) => void;
  load(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return {
    main: module.exports.main,
    codeCache,
    saveCodeCache: () => {
      if (codeCache === 'used') return;
      const temporary = `${cacheFile}.${process.pid}.tmp`;
      try {
        writeFileSync(temporary, script.createCachedData());
        renameSync(temporary, cacheFile);
      } catch {
        rmSync(temporary, { force: true });
      }
    },
  };
}
