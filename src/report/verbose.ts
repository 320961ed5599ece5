// -v/--verbose: the phone's-eye log. Stages call it as they go; each line carries the time since the
// run started, like `dig +trace`. Lines that rest on an inferred message shape or on a documented
// default (instead of what the server's metadata said) are marked, so a reader knows which parts of
// the run were guesswork. Every line passes through the redactor before it is written.

export type VerboseKind = 'step' | 'inferred' | 'defaulted' | 'detail';

export interface VerboseEntry {
  /** Milliseconds since the run started. */
  readonly ms: number;
  readonly kind: VerboseKind;
  /** Already redacted. */
  readonly text: string;
}

export interface VerboseLog {
  /** One step, in the spirit of the cmdlet's log ("Connecting to web service : ..."). */
  step(text: string): void;
  /** A message shape or value that is our reconstruction, not something the server published. */
  inferred(text: string): void;
  /** A documented default used because the server's metadata did not say. */
  defaulted(text: string): void;
  /** A labelled multi-line block (option bytes, request or response XML), indented under the label. */
  detail(label: string, body: string): void;
  /** Everything logged so far, redacted (also kept when nothing is written). */
  readonly entries: readonly VerboseEntry[];
}

export interface VerboseLogOptions {
  /** Where lines go (stderr at the CLI edge); omit to only collect entries. */
  write?: (text: string) => void;
  redact: (text: string) => string;
  /** Monotonic clock in ms; defaults to performance.now(). */
  now?: () => number;
  /** now() at the start of the run; defaults to now() at creation. */
  startedAt?: number;
}

const KIND_PREFIX: Readonly<Record<VerboseKind, string>> = {
  step: '',
  inferred: 'inferred: ',
  defaulted: 'default: ',
  detail: '',
};

export function formatElapsed(ms: number): string {
  return `[+${String(Math.max(0, Math.round(ms))).padStart(5)} ms]`;
}

const DETAIL_INDENT = ' '.repeat(formatElapsed(0).length + 1);

export function createVerboseLog(options: VerboseLogOptions): VerboseLog {
  const now = options.now ?? (() => performance.now());
  const startedAt = options.startedAt ?? now();
  const entries: VerboseEntry[] = [];

  const record = (kind: VerboseKind, text: string, body?: string) => {
    const ms = now() - startedAt;
    const line = options.redact(`${KIND_PREFIX[kind]}${text}`);
    // The body is redacted as a whole: structural redaction needs complete elements, not single lines.
    const block = body === undefined ? '' : options.redact(body);
    const full = block ? `${line}\n${block}` : line;
    entries.push({ ms, kind, text: full });
    if (!options.write) return;
    const head = `${formatElapsed(ms)} ${line}\n`;
    const indented = block
      ? block
          .replace(/\r\n/g, '\n')
          .split('\n')
          .map((bodyLine) => `${DETAIL_INDENT}${bodyLine}`.trimEnd())
          .join('\n') + '\n'
      : '';
    options.write(head + indented);
  };

  return {
    step: (text) => record('step', text),
    inferred: (text) => record('inferred', text),
    defaulted: (text) => record('defaulted', text),
    detail: (label, body) => record('detail', label, body),
    entries,
  };
}

/**
 * The cmdlet's own phrases (protocol.md section 0), so every stage words its steps the same way.
 * Where the cmdlet echoed the PIN, ours never does.
 */
export const PHONE_LOG = {
  constructingDhcpPacket: () => 'Constructing a dhcp packet',
  sendingDhcpInform: (to: string, from: string) => `Sending DHCPINFORM to ${to} from ${from}`,
  receivedDhcpAck: (from: string) => `Received a DHCPACK from ${from}`,
  connecting: (url: string) => `Connecting to web service : ${url}`,
  anonymousAuth: () => 'Using anonymous authentication',
  downloadingRootChain: () => 'Attempting to download certificate root chain',
  pinAuth: () => 'Using PIN authentication',
  requestingWebTicket: () => 'Requesting new web ticket',
  couldNotGetWebTicket: () => 'Could not get web ticket',
  proofAuth: () => 'Using Webticket Proof authentication',
  downloadingMex: (url: string) => `Trying to download MEX data from ${url}`,
  searchingEndpoint: (name: string) => `Searching for end point with name ${name}`,
  foundEndpoint: (address: string) => `Found endpoint ${address}`,
  attempting: (operation: string) => `Attempting ${operation}()`,
  callSucceeded: (operation: string) => `${operation}() webservice call successful`,
  requestingCertificate: (user: string, endpointId: string) => `Requesting certificate for User:${user} EndpointID:${endpointId}`,
  activityCompleted: (activity: string, ms: number) => `'${activity}' activity completed in '${(ms / 1000).toFixed(7)}' seconds`,
} as const;
