// The one host-name (FQDN) check: --target-fqdn, option 120 / 43 values written by `dhcp encode`, and
// the lab's pool names. A trailing dot is accepted and dropped everywhere; an internationalised name
// is turned into its ASCII (punycode) form, which is what DNS, DHCP and certificates carry.

import { domainToASCII } from 'node:url';

export class HostNameError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'HostNameError';
  }
}

export interface HostNameRules {
  /** At least two labels ("pool.example.com", not "pool"). Default true. */
  requireDomain?: boolean;
  /**
   * What to do with a name outside ASCII: 'convert' returns the punycode form with a note, 'refuse'
   * throws and suggests that form. Default 'refuse'.
   */
  internationalised?: 'convert' | 'refuse';
}

export interface CheckedHostName {
  /** Without a trailing dot, case kept, ASCII only. */
  name: string;
  /** Set when the given name was converted to its ASCII form. */
  note?: string;
}

/** Checks `text` as a DNS host name (RFC 1123 labels). Throws HostNameError with one readable line. */
export function checkHostName(text: string, rules: HostNameRules = {}): CheckedHostName {
  const given = text.endsWith('.') ? text.slice(0, -1) : text;
  let name = given;
  let note: string | undefined;
  if (/[^\x00-\x7f]/.test(given)) {
    const ascii = domainToASCII(given);
    if (ascii === '') throw new HostNameError(`"${text}" is not a valid internationalised host name`);
    if (rules.internationalised !== 'convert') {
      throw new HostNameError(`"${text}" is an internationalised name; give its ASCII form "${ascii}"`);
    }
    name = ascii;
    note = `"${given}" is used in its ASCII form "${ascii}"`;
  }
  if (name === '') throw new HostNameError('empty name');
  if (name.length > 253) throw new HostNameError(`"${name.slice(0, 40)}…" is ${name.length} characters; a host name has at most 253`);
  const labels = name.split('.');
  for (const label of labels) {
    if (label === '') throw new HostNameError(`"${text}" has an empty label (two dots in a row, or a leading dot)`);
    if (label.length > 63) throw new HostNameError(`label "${label.slice(0, 20)}…" of "${text}" is ${label.length} characters; at most 63`);
    if (!/^[A-Za-z0-9-]+$/.test(label)) throw new HostNameError(`"${text}" is not a valid host name: label "${label}" has characters other than letters, digits and hyphen`);
    if (label.startsWith('-') || label.endsWith('-')) throw new HostNameError(`"${text}" is not a valid host name: label "${label}" starts or ends with a hyphen`);
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1] as string)) {
    throw new HostNameError(`"${text}" looks like an IP address; a name is needed (TLS certificates are issued to names)`);
  }
  if ((rules.requireDomain ?? true) && labels.length < 2) {
    throw new HostNameError(`"${text}" is not fully qualified (a name like pool.example.com is needed)`);
  }
  return note === undefined ? { name } : { name, note };
}
