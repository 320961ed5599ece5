// Hostile XML answers (issue 9): how long the client's parser takes on each shape a malicious server
// can send, at 4 MiB (refused by size) and just under the 1 MiB bound (refused by the well-formedness
// pass or parsed). Prints ms per input and fails when one exceeds its bound: the parser must stay
// linear, so each input has a fixed budget rather than one that grows with the input.
import { descendant, parseXml, rawSlice } from '../../dist/soap/xml.js';

const MiB = 1024 * 1024;
// Generous for a loaded 2-core machine; the quadratic parser took ~100 s on the first shape at 4 MiB.
const BOUND_MS = { refused: 250, parsed: 2000 };

const shapes = {
  'unclosed tags <a<a<a': (n) => '<a'.repeat(n / 2),
  'unclosed tags then />': (n) => '<a'.repeat(n / 2 - 1) + '/>',
  'root then unclosed tags': (n) => '<r>' + '<a'.repeat(n / 2 - 2),
  'deep nesting': (n) => '<a>'.repeat(Math.floor(n / 7)) + '</a>'.repeat(Math.floor(n / 7)),
  'huge attribute': (n) => '<a x="' + 'y'.repeat(n - 10) + '"/>',
  'unterminated attribute': (n) => '<a x="' + 'y'.repeat(n - 10),
  'many attributes': (n) => '<a ' + Array.from({ length: Math.floor(n / 12) }, (_, i) => `a${i}="1"`).join(' ') + '/>',
  'many siblings': (n) => '<r>' + '<b/>'.repeat(n / 4 - 2) + '</r>',
  'huge text': (n) => '<r>' + 'x'.repeat(n - 10) + '</r>',
  'undeclared entity refs': (n) => '<r>' + '&x;'.repeat(Math.floor(n / 3) - 3) + '</r>',
  'unterminated comment': (n) => '<r><!--' + 'x'.repeat(n - 10),
  'entity bomb': () => '<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>',
  'external entity': () => '<!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/passwd">]><l>&x;</l>',
};

function time(input) {
  const started = performance.now();
  let outcome = 'parsed';
  try {
    parseXml(input);
  } catch (error) {
    outcome = error.code ?? error.name;
  }
  return { ms: performance.now() - started, outcome };
}

let over = 0;
for (const [name, make] of Object.entries(shapes)) {
  for (const size of [4 * MiB, MiB - 64]) {
    const input = make(size);
    time(input.slice(0, 4096)); // warm the code paths once
    const { ms, outcome } = time(input);
    const bound = outcome === 'parsed' ? BOUND_MS.parsed : BOUND_MS.refused;
    const verdict = ms <= bound ? 'ok' : `OVER ${bound} ms`;
    if (ms > bound) over += 1;
    console.log(`xml-hostile ${name.padEnd(24)} ${String(input.length).padStart(8)} chars ${ms.toFixed(1).padStart(8)} ms  ${outcome.padEnd(20)} ${verdict}`);
  }
}
// A ticket is carried on with rawSlice, which re-declares the prefixes it inherits: a server can nest
// thousands of declarations above thousands of elements in the assertion (took 250 s before the fix).
{
  let open = '';
  let close = '';
  for (let depth = 0; depth < 90; depth++) {
    open += `<e${depth} ${Array.from({ length: 250 }, (_, i) => `xmlns:p${depth}_${i}="u"`).join(' ')}>`;
    close = `</e${depth}>${close}`;
  }
  const input = `<r><Assertion>${open}${'<q xmlns:z="u"/>'.repeat(15_000)}${close}</Assertion></r>`;
  const started = performance.now();
  const slice = rawSlice(descendant(parseXml(input).root, 'Assertion'));
  const ms = performance.now() - started;
  const verdict = ms <= BOUND_MS.parsed ? 'ok' : `OVER ${BOUND_MS.parsed} ms`;
  if (ms > BOUND_MS.parsed) over += 1;
  console.log(`xml-hostile ${'declarations + rawSlice'.padEnd(24)} ${String(input.length).padStart(8)} chars ${ms.toFixed(1).padStart(8)} ms  ${`sliced ${slice.length}`.padEnd(20)} ${verdict}`);
}

process.exitCode = over === 0 ? 0 : 1;
