// The repository stands on its own: a clone with nothing beside it has every file a test, the CLI or
// --help needs, and the published package ships every document a message points at.

import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const sourceFiles = filesUnder(join(PROJECT_ROOT, 'src')).filter((path) => path.endsWith('.ts'));
const checkedFiles = ['src', 'test', 'docs'].flatMap((dir) => filesUnder(join(PROJECT_ROOT, dir))).filter((path) => /\.(ts|mjs|js|md|json)$/.test(path));

/** String literals of a TypeScript file (quotes and template text), comments left out. */
function stringLiterals(source: string): string[] {
  const withoutComments = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...withoutComments.matchAll(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g)].map((match) => match[0]);
}

describe('a repository that stands on its own', () => {
  it('has no path into a directory beside the repository', () => {
    const outside = ['..', 'shared'].join('/');
    const offenders = checkedFiles.filter((path) => {
      const text = readFileSync(path, 'utf8');
      return text.includes(`${outside}/`) || text.includes(`/work/${'shared'}`);
    });
    expect(offenders.map((path) => relative(PROJECT_ROOT, path))).toEqual([]);
  });

  it('points messages at documents it ships, never at a source file', () => {
    const pointers = new Set<string>();
    const sourcePaths: string[] = [];
    for (const path of sourceFiles) {
      if (path.endsWith('.d.ts')) continue;
      for (const literal of stringLiterals(readFileSync(path, 'utf8'))) {
        if (literal.startsWith("'./") || literal.startsWith("'../")) continue; // imports
        for (const match of literal.matchAll(/\bdocs\/[\w.-]+\.md\b/g)) pointers.add(match[0]);
        if (/\bsrc\/[\w/.-]+\.ts\b/.test(literal)) sourcePaths.push(`${relative(PROJECT_ROOT, path)}: ${literal}`);
      }
    }
    expect(sourcePaths).toEqual([]);
    expect(pointers.size).toBeGreaterThan(0);
    for (const pointer of pointers) expect(existsSync(join(PROJECT_ROOT, pointer)), pointer).toBe(true);
    const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { files: string[] };
    expect(manifest.files).toEqual(expect.arrayContaining(['bin', 'dist', 'docs', 'fixtures']));
  });

  it('holds the DHCP vectors, the diagnosis catalogue and the namespace scripts the tests read', () => {
    for (const path of [
      'fixtures/dhcp/vectors/dhcputil-schertz.json',
      'fixtures/dhcp/vectors/ack-kea.hex',
      'fixtures/dhcp/vectors/ack-kea.json',
      'docs/diagnosis.md',
      'test/helpers/netns/netns-up.sh',
      'test/helpers/netns/netns-down.sh',
    ]) {
      expect(existsSync(join(PROJECT_ROOT, path)), path).toBe(true);
    }
  });
});
