import { BootstrapTestError } from '../errors.js';
// WWW-Authenticate / Authorization / Authentication-Info for TLS-DSK ([MS-SIPAE] 2.2, 3.3.5.1):
// `TLS-DSK realm="SIP Communications Service", targetname="fe01.lab.test", version=4, sts-uri="…"`.
// Values are kept exactly as sent (hex case included): realm, targetname and srand are signed text.

export interface AuthChallenge {
  scheme: string;
  /** Parameter names lower-cased; values unquoted, escapes removed, otherwise verbatim. */
  params: Map<string, string>;
}

export class AuthParamsError extends BootstrapTestError {
  constructor(message: string) {
    super('BT_SIP_AUTH_PARAMS', message);
  }
}

/** Parse one header value holding one scheme and its comma-separated `name=value` parameters. */
export function parseAuthHeader(value: string): AuthChallenge {
  const schemeMatch = /^\s*([A-Za-z0-9._-]+)\s*/.exec(value);
  if (!schemeMatch) throw new AuthParamsError(`authentication header "${value.slice(0, 60)}" has no scheme`);
  const params = new Map<string, string>();
  let position = schemeMatch[0].length;
  while (position < value.length) {
    const nameMatch = /^[\s,]*([A-Za-z0-9._-]+)\s*=\s*/.exec(value.slice(position));
    if (!nameMatch) {
      if (/^[\s,]*$/.test(value.slice(position))) break;
      throw new AuthParamsError(`authentication header: cannot read a parameter at "${value.slice(position, position + 40)}"`);
    }
    position += nameMatch[0].length;
    const name = (nameMatch[1] as string).toLowerCase();
    if (value[position] === '"') {
      const read = readQuoted(value, position);
      params.set(name, read.text);
      position = read.next;
    } else {
      const token = /^[^\s,]*/.exec(value.slice(position))?.[0] ?? '';
      params.set(name, token);
      position += token.length;
    }
  }
  return { scheme: schemeMatch[1] as string, params };
}

function readQuoted(value: string, open: number): { text: string; next: number } {
  let text = '';
  for (let position = open + 1; position < value.length; position++) {
    const char = value[position] as string;
    if (char === '\\' && position + 1 < value.length) {
      text += value[++position];
    } else if (char === '"') {
      return { text, next: position + 1 };
    } else {
      text += char;
    }
  }
  throw new AuthParamsError(`authentication header: quoted value starting "${value.slice(open, open + 30)}" is not closed`);
}

/** The TLS-DSK challenge among a 401's WWW-Authenticate values, if the server offered one. */
export function findTlsDskChallenge(values: readonly string[]): AuthChallenge | undefined {
  return values.map(parseAuthHeader).find((challenge) => challenge.scheme.toUpperCase() === 'TLS-DSK');
}

/** Every scheme a 401 offered, for evidence ("NTLM, Kerberos" when TLS-DSK is missing). */
export function offeredSchemes(values: readonly string[]): string[] {
  return values.map((value) => parseAuthHeader(value).scheme);
}

/** Parameters of our Authorization header, in pidgin-sipe's order; absent ones are left out. */
export interface TlsDskCredentials {
  opaque?: string;
  realm: string;
  targetname: string;
  gssapiData?: string;
  version?: number;
  crand?: string;
  cnum?: number;
  response?: string;
}

function quote(value: string): string {
  if (/["\\\r\n]/.test(value)) throw new AuthParamsError(`authentication parameter value "${value}" may not contain quotes, backslashes or line breaks`);
  return `"${value}"`;
}

/** `TLS-DSK qop="auth", opaque="…", realm="…", targetname="…", gssapi-data="…", version=4, crand="…", cnum="1", response="…"`. */
export function buildTlsDskAuthorization(credentials: TlsDskCredentials): string {
  const parts = ['qop="auth"'];
  if (credentials.opaque !== undefined) parts.push(`opaque=${quote(credentials.opaque)}`);
  parts.push(`realm=${quote(credentials.realm)}`, `targetname=${quote(credentials.targetname)}`);
  if (credentials.gssapiData !== undefined) parts.push(`gssapi-data=${quote(credentials.gssapiData)}`);
  if (credentials.version !== undefined) parts.push(`version=${credentials.version}`);
  if (credentials.crand !== undefined) parts.push(`crand=${quote(credentials.crand)}`);
  if (credentials.cnum !== undefined) parts.push(`cnum=${quote(String(credentials.cnum))}`);
  if (credentials.response !== undefined) parts.push(`response=${quote(credentials.response)}`);
  return `TLS-DSK ${parts.join(', ')}`;
}

/** A registrar's `Authentication-Info`/`WWW-Authenticate` parameters in [MS-OCPSTN] 4.7.2.1 order. */
export function buildTlsDskServerHeader(params: ReadonlyArray<readonly [string, string | number]>): string {
  return `TLS-DSK ${params.map(([name, value]) => (typeof value === 'number' ? `${name}=${value}` : `${name}=${quote(value)}`)).join(', ')}`;
}
