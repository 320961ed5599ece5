// The edges of the command line that commander does not cover on its own: a mistyped command, the
// cmdlet's -PhoneOrExt style of parameters, and an identity option given twice with different values.
// Loaded at every start: no imports beyond the error types.

import { UsageError } from '../errors.js';

/** Edit distance counting a swap of two neighbours as one edit ("dchp" is one edit from "dhcp"). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i += 1) {
    for (let j = 1; j < cols; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate within two edits (and closer than the word is long), or undefined. */
export function closestName(word: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(word.toLowerCase(), name.toLowerCase());
    if (distance <= 2 && distance < word.length && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

export function unknownCommandError(word: string, commands: readonly string[]): UsageError {
  const suggestion = closestName(word, commands);
  return new UsageError(
    `unknown command '${word}'${suggestion ? ` (did you mean ${suggestion}?)` : ''}; commands: ${commands.join(', ')}, or options only for a bootstrap run`,
  );
}

/** Test-CsPhoneBootstrap's parameters and the flag that does the same here. */
const CMDLET_PARAMETERS: Readonly<Record<string, string>> = {
  phoneorext: '--phone-or-ext (or --ext)',
  pin: '--pin-file, --pin-stdin or BOOTSTRAP_TEST_PIN (--pin also works, but shows the PIN to ps)',
  targetfqdn: '--target-fqdn',
  targeturi: '--target-uri',
  registrarport: '--registrar-port',
  usersipaddress: '--user-sip-address',
  verbose: '--verbose',
  outverbosevariable: '--verbose',
  outloggervariable: '--trace DIR',
};

/**
 * A cmdlet-style parameter (`-PhoneOrExt 7501`) is refused with the flag to use instead; commander
 * alone would read it as a bundle of one-letter options. Stops at `--`, after which nothing is an option.
 */
export function checkCmdletStyleParameters(args: readonly string[]): void {
  for (const arg of args) {
    if (arg === '--') return;
    const match = /^-([A-Za-z]{2,})(?:[:=].*)?$/.exec(arg);
    if (!match) continue;
    const replacement = CMDLET_PARAMETERS[match[1]!.toLowerCase()];
    if (replacement) {
      throw new UsageError(`unknown option '-${match[1]}': this is the cmdlet's parameter; here it is ${replacement}`);
    }
  }
}

/**
 * Option parser for a value that must be given once: the same value twice is harmless, two different
 * values are an error (a silent last-wins could send the PIN for another number).
 */
export function singleValue(flag: string, { secret = false } = {}): (value: string, previous: string | undefined) => string {
  return (value, previous) => {
    if (previous !== undefined && previous !== value) {
      const values = secret ? '' : ` ("${previous}", "${value}")`;
      throw new UsageError(`${flag} given twice with different values${values}; give it once`);
    }
    return value;
  };
}
