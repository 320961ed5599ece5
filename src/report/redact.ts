// Redaction: every byte the tool writes (stderr, stdout, --verbose, --json, --trace, errors) goes
// through a Redactor so that the PIN and the other credentials never leave the process.
//
// Two layers:
// - literal: each registered secret in every spelling it can travel in (as typed, base64, base64url,
//   hex, URL-encoded, XML- and JSON-escaped) is replaced wherever it occurs;
// - structural: elements that carry credentials (UsernameToken Password, BinarySecret, the SAML
//   Assertion, SignatureValue) and PEM private keys are blanked whatever their value, so a secret the
//   redactor was never told about (the server's entropy, a fresh assertion) is still hidden.
//
// A PIN is short and numeric, so it can occur inside an unrelated number (PIN 1234 in a latency of
// 11234 ms). We hide it there too: a lost figure is a small price, a leaked PIN is not. In text the
// digits become [REDACTED]; in a JSON value the number becomes null, never a string, so that every
// field keeps its type (a consumer reading `latencyMs` gets a number or null, as for any absent value).

export const REDACTED = '[REDACTED]';

export interface Redactor {
  /** Returns text with every secret and credential-bearing element replaced by [REDACTED]. */
  (text: string): string;
  /** Registers another secret (string as typed, or raw bytes such as entropy or a proof key). */
  add(secret: string | Uint8Array | undefined | null): void;
  /** Deep copy of a JSON-like value: strings redacted, a number whose digits contain a secret made null. */
  value<T>(value: T): T;
  /** How many distinct spellings are being looked for (for tests and --debug). */
  readonly size: number;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function base64Forms(bytes: Buffer): string[] {
  const standard = bytes.toString('base64');
  return [standard, standard.replace(/=+$/, ''), bytes.toString('base64url')];
}

/** Every spelling a secret can take on the wire or in a dump. */
export function secretSpellings(secret: string | Uint8Array): string[] {
  if (typeof secret !== 'string') {
    const bytes = Buffer.from(secret);
    if (bytes.length === 0) return [];
    const hex = bytes.toString('hex');
    return [...base64Forms(bytes), hex, hex.toUpperCase()];
  }
  if (secret.length === 0) return [];
  const utf8 = Buffer.from(secret, 'utf8');
  const hex = utf8.toString('hex');
  return [
    secret,
    ...base64Forms(utf8),
    hex,
    hex.toUpperCase(),
    encodeURIComponent(secret),
    xmlEscape(secret),
    JSON.stringify(secret).slice(1, -1),
  ];
}

/** Local names of elements whose whole content is a credential, in any namespace prefix. */
export const CREDENTIAL_ELEMENTS = ['Password', 'BinarySecret', 'Assertion', 'SignatureValue', 'PrivateKey', 'ProofKey'] as const;

const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----[\s\S]*?(?:-----END \1-----|$)/g;

function credentialElementPattern(localNames: readonly string[]): RegExp {
  // <prefix:Name attrs>content</prefix:Name>; the closing tag must repeat the same prefix.
  const names = localNames.map(escapeRegExp).join('|');
  // A self-closing tag (<Password />) has no content and must not open a match.
  return new RegExp(`(<((?:[A-Za-z_][\\w.-]*:)?)(${names})(?:\\s[^>]*)?(?<!/)>)([\\s\\S]*?)(</\\2\\3\\s*>)`, 'g');
}

const CREDENTIAL_ELEMENT = credentialElementPattern(CREDENTIAL_ELEMENTS);

/** Blanks credential-bearing XML elements (keeping their tags and attributes) and PEM private keys. */
export function redactStructure(text: string): string {
  let result = text;
  if (result.includes('<')) {
    result = result.replace(CREDENTIAL_ELEMENT, (_match, open: string, _prefix, _name, content: string, close: string) =>
      content.length === 0 ? `${open}${close}` : `${open}${REDACTED}${close}`,
    );
  }
  if (result.includes('PRIVATE KEY-----')) {
    result = result.replace(PEM_PRIVATE_KEY, (_match, label: string) => `-----BEGIN ${label}-----\n${REDACTED}\n-----END ${label}-----`);
  }
  return result;
}

/** HTTP headers whose values are credentials whatever they contain. */
export const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

export function createRedactor(secrets: Iterable<string | Uint8Array | undefined | null> = []): Redactor {
  const spellings = new Set<string>();
  let literal: RegExp | undefined;

  const rebuild = () => {
    // Longest first so that 'MTQ3ODk=' wins over 'MTQ3ODk', and one pass never re-reads its own output.
    const alternatives = [...spellings].sort((a, b) => b.length - a.length).map(escapeRegExp);
    literal = alternatives.length === 0 ? undefined : new RegExp(alternatives.join('|'), 'g');
  };

  const redact = ((text: string): string => {
    const structural = redactStructure(String(text));
    return literal ? structural.replace(literal, REDACTED) : structural;
  }) as Redactor;

  redact.add = (secret) => {
    if (secret === undefined || secret === null) return;
    let added = false;
    for (const spelling of secretSpellings(secret)) {
      if (spelling.length > 0 && !spellings.has(spelling)) {
        spellings.add(spelling);
        added = true;
      }
    }
    if (added) rebuild();
  };

  redact.value = <T>(value: T): T => deepRedact(value, redact, (text) => (literal ? text.search(literal) !== -1 : false)) as T;

  Object.defineProperty(redact, 'size', { get: () => spellings.size });

  for (const secret of secrets) redact.add(secret);
  return redact;
}

function deepRedact(value: unknown, redact: (text: string) => string, containsSecret: (text: string) => boolean): unknown {
  if (typeof value === 'string') return redact(value);
  if (typeof value === 'number' || typeof value === 'bigint') {
    return containsSecret(String(value)) ? null : value;
  }
  if (Array.isArray(value)) return value.map((item) => deepRedact(item, redact, containsSecret));
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[redact(key)] = deepRedact(item, redact, containsSecret);
    return copy;
  }
  return value;
}

/** Redacts one header value: credential headers entirely, the rest through the redactor. */
export function redactHeaderValue(name: string, value: string, redact: (text: string) => string): string {
  return CREDENTIAL_HEADERS.has(name.toLowerCase()) ? REDACTED : redact(value);
}
