// The catalog in src/diagnosis/catalog.ts must say what docs/diagnosis.md says: same ids, severities and
// Diagnosis lines, and every id the lookup table of section 0.5 names must be a row in LOOKUP_TABLE.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CATALOG, STAGE_PREFIX, catalogEntry } from '../../src/diagnosis/catalog.js';
import { LOOKUP_TABLE, PASSING_BUT_PHONES_FAIL } from '../../src/diagnosis/classify.js';

const DOCUMENT = fileURLToPath(new URL('../../docs/diagnosis.md', import.meta.url));

interface Heading {
  id: string;
  severity: string;
  qualifier: string;
  diagnosis: string;
}

function parseHeadings(markdown: string): Heading[] {
  const lines = markdown.split('\n');
  const headings: Heading[] = [];
  lines.forEach((line, index) => {
    const match = /^### `([^`]+)` · (\S+)\s*(.*)$/.exec(line);
    if (!match) return;
    const diagnosisLine = lines.slice(index + 1).find((next) => next.startsWith('Diagnosis: ')) ?? '';
    headings.push({
      id: match[1]!,
      severity: match[2]!,
      qualifier: match[3]!.replace(/^\(|\)$/g, '').replace(/`/g, '').trim(),
      diagnosis: diagnosisLine.slice('Diagnosis: '.length).replace(/`/g, '').trim(),
    });
  });
  return headings;
}

function lookupTableIds(markdown: string): Set<string> {
  const section = markdown.slice(markdown.indexOf('### 0.5'), markdown.indexOf('## 1.'));
  const ids = new Set<string>();
  for (const line of section.split('\n')) {
    const cells = line.split('|');
    const candidates = cells[3];
    if (!candidates) continue;
    for (const match of candidates.matchAll(/`([a-z0-9]+-[a-z0-9-]+)`/g)) if (match[1] !== 'no-reply') ids.add(match[1]!);
  }
  return ids;
}

describe('catalog parity with docs/diagnosis.md', () => {
  // Read unconditionally: a missing document is a failure, not a skip.
  const markdown = readFileSync(DOCUMENT, 'utf8');
  const headings = parseHeadings(markdown);

  it('finds the catalog headings in the document', () => {
    expect(headings.length).toBeGreaterThan(60);
  });

  it('has every id of the document, and no id the document lacks', () => {
    const documented = headings.map((heading) => heading.id).sort();
    const catalogued = CATALOG.map((entry) => entry.id).sort();
    expect(catalogued).toEqual(documented);
  });

  it('keeps each severity, qualifier and inference mark', () => {
    for (const heading of headings) {
      const entry = catalogEntry(heading.id)!;
      expect(entry.severity, heading.id).toBe(heading.severity);
      const inference = /\binference\b/.test(heading.qualifier);
      expect(entry.inference === true, `${heading.id} inference`).toBe(inference);
      const note = heading.qualifier.replace(/\binference\b/, '').trim();
      expect(entry.severityNote ?? '', `${heading.id} severityNote`).toBe(note);
    }
  });

  it('keeps each one-line Diagnosis word for word', () => {
    for (const heading of headings) {
      expect(catalogEntry(heading.id)!.diagnosis, heading.id).toBe(heading.diagnosis);
    }
  });

  it('covers every id that the lookup table of section 0.5 names', () => {
    const tableIds = lookupTableIds(markdown);
    expect(tableIds.size).toBeGreaterThan(40);
    const rowIds = new Set(LOOKUP_TABLE.flatMap((row) => row.candidates));
    const missing = [...tableIds].filter((id) => !rowIds.has(id));
    expect(missing).toEqual([]);
  });
});

describe('catalog integrity', () => {
  it('uses stable kebab-case ids that start with a known prefix', () => {
    // 'tls' and 'http' name failures of the protocol itself, shared by several stages; 'run' the run as a whole.
    const prefixes = new Set([...Object.values(STAGE_PREFIX), 'tls', 'http', 'run']);
    for (const entry of CATALOG) {
      expect(entry.id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)+$/);
      expect(prefixes.has(entry.id.split('-')[0]!), entry.id).toBe(true);
    }
    expect(new Set(CATALOG.map((entry) => entry.id)).size).toBe(CATALOG.length);
  });

  it('gives every entry at least one CHECK item, each short and on one line', () => {
    for (const entry of CATALOG) {
      expect(entry.check.length, entry.id).toBeGreaterThan(0);
      for (const item of entry.check) {
        expect(item, entry.id).not.toMatch(/\n/);
        expect(item.length, `${entry.id}: ${item}`).toBeLessThan(220);
      }
    }
  });

  it('points umbrellas, table rows and the section 9 hints only at existing ids', () => {
    const referenced = [
      ...CATALOG.flatMap((entry) => entry.children ?? []),
      ...LOOKUP_TABLE.flatMap((row) => row.candidates),
      ...PASSING_BUT_PHONES_FAIL,
    ];
    for (const id of referenced) expect(catalogEntry(id), id).toBeDefined();
    expect(catalogEntry('webticket-auth-rejected')!.children).toEqual([
      'webticket-pin-wrong',
      'webticket-pin-not-set',
      'webticket-pin-locked',
      'webticket-number-not-on-lineuri',
      'webticket-extension-ambiguous',
      'webticket-pin-expired',
      'webticket-user-not-enabled',
    ]);
  });
});
