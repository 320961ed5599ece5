import { describe, expect, it } from 'vitest';
import { QUOTE_MAX_CHARS, quoteText } from '../../src/text.js';

describe('quoteText', () => {
  it('leaves text up to the limit unchanged', () => {
    const exact = 'x'.repeat(QUOTE_MAX_CHARS);
    expect(quoteText(exact)).toBe(exact);
    expect(quoteText('')).toBe('');
  });

  it('cuts longer text and says how many bytes there were, counted in UTF-8', () => {
    const long = 'é'.repeat(1000);
    expect(quoteText(long)).toBe(`${'é'.repeat(QUOTE_MAX_CHARS)}… (2000 bytes in all)`);
    expect(quoteText('abcdef', 3)).toBe('abc… (6 bytes in all)');
  });
});
