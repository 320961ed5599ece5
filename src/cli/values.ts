import { UsageError } from '../errors.js';

/**
 * A whole number from the command line in min..max, or a one-line UsageError naming the flag and the
 * value. `note` explains a special value, e.g. "0 = any free port".
 */
export function parseWholeNumber(flag: string, text: string, min: number, max: number, note?: string): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) throw new UsageError(`${flag}: "${text}" is not a whole number`);
  const value = Number(trimmed);
  if (value < min || value > max) throw new UsageError(`${flag}: "${text}" is not in ${min}..${max}${note ? ` (${note})` : ''}`);
  return value;
}
