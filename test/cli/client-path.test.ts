// A bootstrap run loads only what a client needs: never the lab (src/lab: CA, SAML, proof checking),
// never the lab's XML-signature libraries, and only the parts of undici and node-forge it uses.
// Checked three times: by walking the import graph of the run path in the sources, and by a real
// one-off CLI run against a lab in this process, listing every file the process loaded and, with
// V8's coverage, every module of the bundled CLI that was evaluated.

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

describe('the files a one-off CLI run loads', () => {
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

  it('a successful run reads the entry point and the two bundles, and nothing from node_modules or the lab', async () => {
    const listFile = join(scratch, 'loaded.json');
    const preload = pathToFileURL(join(root, 'test', 'helpers', 'list-loaded-files.mjs')).href;
    const code = await new Promise<number | null>((done) => {
      const child = spawn(process.execPath, ['--import', preload, join(root, 'bin', 'bootstrap-test.js'), ...lab.clientArguments(), '--listen-ms', '0'], {
        env: { ...process.env, BOOTSTRAP_TEST_PIN: lab.sampleUser.pin ?? '', LOADED_FILES_FILE: listFile },
        stdio: 'ignore',
      });
      child.once('exit', done);
    });
    expect(code).toBe(0);
    const loaded = (JSON.parse(readFileSync(listFile, 'utf8')) as string[]).map((file) => relative(root, file)).filter((file) => !file.startsWith('test/'));
    // package.json gives the version; the CLI bundle itself is compiled through vm.Script and is not listed.
    expect(loaded.sort()).toEqual([join('bin', 'bootstrap-test.js'), join('dist', 'bundle', 'start.cjs'), 'package.json']);
  }, 60_000);

  it('a successful run evaluates no lab module, no lab-only package, and only the parts of undici and node-forge a client uses', async () => {
    // The bundle holds the lab too (for the lab and demo commands), each module behind a lazy
    // initialiser named after its source file: V8's precise coverage says which of them ran.
    const coverageDir = join(scratch, 'coverage');
    const code = await new Promise<number | null>((done) => {
      const child = spawn(process.execPath, [join(root, 'bin', 'bootstrap-test.js'), ...lab.clientArguments(), '--listen-ms', '0'], {
        env: { ...process.env, BOOTSTRAP_TEST_PIN: lab.sampleUser.pin ?? '', NODE_V8_COVERAGE: coverageDir },
        stdio: 'ignore',
      });
      child.once('exit', done);
    });
    expect(code).toBe(0);
    const evaluated = new Set<string>();
    for (const file of readdirSync(coverageDir)) {
      const coverage = JSON.parse(readFileSync(join(coverageDir, file), 'utf8')) as { result: Array<{ url: string; functions: Array<{ functionName: string; ranges: Array<{ count: number }> }> }> };
      for (const script of coverage.result.filter((entry) => entry.url.endsWith('/dist/bundle/cli.cjs'))) {
        for (const fn of script.functions) if ((fn.ranges[0]?.count ?? 0) > 0 && /^(src|node_modules)\//.test(fn.functionName)) evaluated.add(fn.functionName);
      }
    }
    // The check below would pass vacuously if the initialisers were not seen at all.
    expect(evaluated).toContain('src/stages/certificate.ts');
    expect(evaluated).toContain('node_modules/undici/lib/dispatcher/client.js');
    const modules = [...evaluated];
    expect(modules.filter((name) => name.startsWith('src/lab/'))).toEqual([]);
    expect(modules.filter((name) => LAB_ONLY_PACKAGES.some((lab) => name.startsWith(`node_modules/${lab}/`)))).toEqual([]);
    expect(modules.filter((name) => name === 'node_modules/undici/index.js' || /^node_modules\/undici\/lib\/(web\/fetch\/index|mock)/.test(name))).toEqual([]);
    // node-forge's ASN.1 codec only: not x509.js with its JavaScript RSA, ciphers and TLS.
    expect(modules.filter((name) => /^node_modules\/node-forge\/lib\/(x509|rsa|tls|pkcs12|pkcs7|index)\.js$/.test(name))).toEqual([]);
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
    // The entry point started the key with the process, and npm run build left a code cache V8 accepts.
    expect(stderr).toMatch(/generated in \d+ ms, on libuv's thread pool, started with the process/);
    expect(stderr).toContain("CLI compiled from V8's code cache");
    expect(stderr).toMatch(/Run wall time \d+\.\d ms; Latency counts only/);
    // Latency to the 100 ns tick, as the cmdlet prints it.
    expect(stdout).toMatch(/^Latency\s+: \d\d:\d\d:\d\d\.\d{7}$/m);
  }, 60_000);
});
