// Server text quoted back to the user (in an error, a report, a lab reply) is untrusted and may be
// megabytes long; one quoting rule keeps every message readable and every report small.

/** How many characters of foreign text a message quotes before cutting it short. */
export const QUOTE_MAX_CHARS = 300;

/**
 * `text` as it may appear inside a message: unchanged when short, otherwise its first `maxChars`
 * characters followed by "… (N bytes in all)", N counted in UTF-8 as the text went over the wire.
 */
export function quoteText(text: string, maxChars: number = QUOTE_MAX_CHARS): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars)}… (${Buffer.byteLength(text, 'utf8')} bytes in all)`;
}
