// The bundled CLI's code cache: used when valid, refused (and the CLI still loads) when V8 rejects
// it, written after a run that had none, and never an error when it cannot be written. Each load
// runs in a fresh process: within one, V8's in-memory compilation cache would answer instead.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const scratch = mkdtempSync(join(tmpdir(), 'bt-code-cache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const loader = pathToFileURL(join(import.meta.dirname, '..', '..', 'dist', 'cli', 'bundle-loader.js')).href;

/** Loads the bundled CLI (built by npm run build) in a new process; saves the cache when asked. */
function load(cacheFile: string, { save = false } = {}): { codeCache: string; main: string } {
  const script = `
    import { loadBundledCli } from ${JSON.stringify(loader)};
    const cli = loadBundledCli({ cacheFile: ${JSON.stringify(cacheFile)} });
    ${save ? 'cli.saveCodeCache();' : ''}
    process.stdout.write(JSON.stringify({ codeCache: cli.codeCache, main: typeof cli.main }));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as { codeCache: string; main: string };
}

describe('loading the bundled CLI', () => {
  it('without a cache compiles afresh, then writes one that the next load uses', () => {
    const cacheFile = join(scratch, 'fresh.v8cache');
    expect(load(cacheFile, { save: true })).toEqual({ codeCache: 'absent', main: 'function' });
    expect(existsSync(cacheFile)).toBe(true);
    expect(load(cacheFile).codeCache).toBe('used');
  });

  it('a cache V8 refuses (another Node, or damaged) costs time only: the CLI loads and the cache is rewritten', () => {
    const cacheFile = join(scratch, 'damaged.v8cache');
    writeFileSync(cacheFile, Buffer.alloc(4096, 0x5a));
    expect(load(cacheFile, { save: true })).toEqual({ codeCache: 'refused', main: 'function' });
    expect(load(cacheFile).codeCache).toBe('used');
  });

  it('a place it cannot write leaves the CLI without a cache, silently', () => {
    // A directory that does not exist fails the write as a read-only one would (and does so as root too).
    const cacheFile = join(scratch, 'no-such-directory', 'cli.v8cache');
    expect(load(cacheFile, { save: true }).codeCache).toBe('absent');
    expect(existsSync(cacheFile)).toBe(false);
  });
});
