// A bootstrap run loads only what a client needs: never the lab (src/lab: CA, SAML, proof checking),
// never the lab's XML-signature libraries, and only the part of undici it uses. Checked twice: by
// walking the import graph of the run path in the sources, and by a real one-off CLI run against a
// lab in this process, listing the packages the CLI process actually loaded.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../src/lab/pool.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = join(root, 'src');

/** Packages only the lab uses. */
const LAB_ONLY_PACKAGES = ['xml-crypto', '@xmldom/xmldom'];

interface Imports {
  static: string[];
  dynamic: string[];
}

/** The module specifiers a TypeScript source imports at run time (type-only imports are erased). */
function importsOf(source: string): Imports {
  const found: Imports = { static: [], dynamic: [] };
  for (const match of source.matchAll(/^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?'([^']+)'/gm)) {
    if (match[2] === undefined) found.static.push(match[3]!);
  }
  for (const match of source.matchAll(/(typeof\s+)?\bimport\(\s*'([^']+)'\s*\)/g)) {
    if (match[1] === undefined) found.dynamic.push(match[2]!);
  }
  return found;
}

function sourceFileOf(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return resolve(dirname(from), specifier).replace(/\.js$/, '.ts');
}

interface Graph {
  files: Set<string>;
  packages: Set<string>;
}

/** Everything reachable from `entry`; dynamic imports are followed only where `followDynamic` says so. */
function reachable(entries: string[], followDynamic: (file: string) => boolean, graph: Graph = { files: new Set(), packages: new Set() }): Graph {
  const pending = [...entries];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (graph.files.has(file)) continue;
    graph.files.add(file);
    const imports = importsOf(readFileSync(file, 'utf8'));
    const specifiers = [...imports.static, ...(followDynamic(file) ? imports.dynamic : [])];
    for (const specifier of specifiers) {
      const target = sourceFileOf(file, specifier);
      if (target) pending.push(target);
      else if (!specifier.startsWith('node:')) graph.packages.add(specifier);
    }
  }
  return graph;
}

/**
 * The one-off run: main.ts as it starts (its commands' registrations, not what their actions load),
 * then the default command's action with everything it loads on demand (pipeline, stages, transport).
 */
function runPathGraph(): Graph {
  const graph = reachable([join(src, 'cli', 'main.ts')], () => false);
  return reachable([join(src, 'cli', 'bootstrap-run.ts')], () => true, graph);
}

describe('the import graph of a one-off run', () => {
  it('finds the imports the walk relies on (static, dynamic, type-only skipped)', () => {
    const found = importsOf(
      [
        "import { a } from './a.js';",
        "import type { B } from './b.js';",
        "import {\n  type C,\n  d,\n} from './cd.js';",
        "export { e } from './e.js';",
        "import 'side-effect';",
        'const f = await import(\'./f.js\');',
        "type G = typeof import('./g.js');",
      ].join('\n'),
    );
    expect(found.static).toEqual(['./a.js', './cd.js', './e.js', 'side-effect']);
    expect(found.dynamic).toEqual(['./f.js']);
  });

  it('reaches the pipeline and every stage, so the walk really covers the run', () => {
    const files = [...runPathGraph().files].map((file) => relative(src, file));
    expect(files).toContain(join('stages', 'pipeline.ts'));
    expect(files).toContain(join('stages', 'certificate.ts'));
    expect(files).toContain(join('net', 'transport.ts'));
  });

  it('never reaches src/lab or a lab-only package', () => {
    const graph = runPathGraph();
    const labFiles = [...graph.files].map((file) => relative(src, file)).filter((file) => file.startsWith(`lab${'/'}`));
    expect(labFiles).toEqual([]);
    expect([...graph.packages].filter((name) => LAB_ONLY_PACKAGES.some((lab) => name === lab || name.startsWith(`${lab}/`)))).toEqual([]);
  });

  it("imports undici's Client through src/net/undici-client.ts, never undici's index", () => {
    expect([...runPathGraph().packages]).not.toContain('undici');
  });
});

describe('the packages a one-off CLI run loads', () => {
  let lab: Lab;
  let scratch: string;
  beforeAll(async () => {
    lab = await startLab({});
    scratch = mkdtempSync(join(tmpdir(), 'bt-client-path-'));
  });
  afterAll(async () => {
    await lab?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('a successful run loads no lab-only package and not undici’s index (fetch, WebSocket, cookies)', async () => {
    const listFile = join(scratch, 'loaded.json');
    const preload = pathToFileURL(join(root, 'test', 'helpers', 'list-loaded-packages.mjs')).href;
    const code = await new Promise<number | null>((done) => {
      const child = spawn(process.execPath, ['--import', preload, join(root, 'bin', 'bootstrap-test.js'), ...lab.clientArguments(), '--listen-ms', '0'], {
        env: { ...process.env, BOOTSTRAP_TEST_PIN: lab.sampleUser.pin ?? '', LOADED_PACKAGES_FILE: listFile },
        stdio: 'ignore',
      });
      child.once('exit', done);
    });
    expect(code).toBe(0);
    const loaded = JSON.parse(readFileSync(listFile, 'utf8')) as string[];
    const packageFiles = loaded.map((file) => file.split('/node_modules/').pop() ?? file);
    // The run did load undici (the check below would pass vacuously otherwise).
    expect(packageFiles).toContain('undici/lib/dispatcher/client.js');
    expect(packageFiles).not.toContain('undici/index.js');
    expect(packageFiles.filter((file) => /^undici\/lib\/(web|mock)\//.test(file))).toEqual([]);
    expect(packageFiles.filter((file) => LAB_ONLY_PACKAGES.some((name) => file.startsWith(`${name}/`)))).toEqual([]);
  }, 60_000);

  it('-v says where the wall time went: each stage apart from the tool’s own work, and the wait for the key', async () => {
    let stderr = '';
    let stdout = '';
    const code = await new Promise<number | null>((done) => {
      const child = spawn(process.execPath, [join(root, 'bin', 'bootstrap-test.js'), ...lab.clientArguments(), '--listen-ms', '0', '-v'], {
        env: { ...process.env, BOOTSTRAP_TEST_PIN: lab.sampleUser.pin ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('exit', done);
    });
    expect(code).toBe(0);
    for (const stage of ['discover', 'rootchain', 'certificate']) {
      expect(stderr).toMatch(new RegExp(`${stage}: pool and network \\d+\\.\\d ms, this tool \\d+\\.\\d ms \\(wall \\d+\\.\\d ms`));
    }
    expect(stderr).toMatch(/The run waited \d+\.\d ms for its RSA key pair|The RSA key pair was ready before it was needed/);
    expect(stderr).toMatch(/Run wall time \d+\.\d ms; Latency counts only/);
    // Latency to the 100 ns tick, as the cmdlet prints it.
    expect(stdout).toMatch(/^Latency\s+: \d\d:\d\d:\d\d\.\d{7}$/m);
  }, 60_000);
});
