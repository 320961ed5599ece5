// The choices an INFORM is made of (the `dhcp inform` flags, the pipeline's DHCP options, the lab's
// command) with their defaults in one place, and the retransmission plan they lead to. Pure: no I/O,
// so the command line can read the defaults without loading the client.

export const DEFAULT_VENDOR_CLASS = 'MS-UC-Client';
export const DEFAULT_HOST_NAME = 'bootstrap-test';
export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
export const LIMITED_BROADCAST = '255.255.255.255';
/**
 * With RFC 2131's schedule the second copy leaves 3-5 s after the first, so 6 s holds two copies and
 * an answer to the second; a third copy (another 7-9 s) would need about 14 s. The two defaults are
 * chosen together: the pair is checked by a test against the worst-case jitter.
 */
export const DEFAULT_TIMEOUT_MS = 6000;
export const DEFAULT_TRIES = 2;
/** Two servers on one segment answered about a millisecond apart (dhcp.md a.5); a second is plenty. */
export const DEFAULT_LISTEN_MS = 1000;

/** RFC 2131 §4.1: first retransmission about 4 s later (±1 s), doubling, capped at 64 s. */
export const RFC2131_RETRANSMIT: RetransmitSchedule = { initialMs: 4000, jitterMs: 1000, maxMs: 64_000 };

export interface RetransmitSchedule {
  initialMs: number;
  jitterMs: number;
  maxMs: number;
}

/**
 * What a person chooses about an INFORM (the `dhcp inform` flags, the pipeline's DHCP options),
 * checked; the interface it speaks for is chosen separately because that needs host reads.
 */
export interface InformSettings {
  interfaceName?: string;
  server?: { address: string; port: number };
  clientPort: number;
  vendorClass: string;
  hostName: string;
  extraRequestedOptions: number[];
  maxMessageSize?: number;
  timeoutMs: number;
  tries: number;
  listenMs?: number;
}

/** Every INFORM setting at its default; `choices` replaces any of them. */
export function informSettings(choices: Partial<InformSettings> = {}): InformSettings {
  return {
    clientPort: DHCP_CLIENT_PORT,
    vendorClass: DEFAULT_VENDOR_CLASS,
    hostName: DEFAULT_HOST_NAME,
    extraRequestedOptions: [],
    timeoutMs: DEFAULT_TIMEOUT_MS,
    tries: DEFAULT_TRIES,
    listenMs: DEFAULT_LISTEN_MS,
    ...choices,
  };
}

/**
 * When each copy of the request goes out, in ms after the first: RFC 2131 backoff with jitter,
 * at most `tries` copies, none so late that an answer could not arrive before the deadline.
 */
export function planTransmissions(
  tries: number,
  timeoutMs: number,
  schedule: RetransmitSchedule,
  random: () => number,
): number[] {
  const replyMarginMs = Math.min(500, timeoutMs / 10);
  const times = [0];
  let at = 0;
  let interval = schedule.initialMs;
  while (times.length < tries) {
    const jitter = (random() * 2 - 1) * schedule.jitterMs;
    at += Math.max(1, Math.round(Math.min(interval, schedule.maxMs) + jitter));
    if (at > timeoutMs - replyMarginMs) break;
    times.push(at);
    interval *= 2;
  }
  return times;
}
