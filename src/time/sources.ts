// Where a phone gets its time, in the documented order: NTP servers from DHCP option 42, then
// option 4 (formally RFC 868 time servers, but administrators put NTP servers there, so they are
// probed with NTP and flagged), then SRV `_ntp._udp.<SIP domain>`, then the host `time.windows.com`.

export const TIME_WINDOWS_COM = 'time.windows.com';

export type TimeSource =
  | { kind: 'option42'; address: string }
  /** Option 4 names RFC 868 servers (TCP/UDP 37); an NTP answer there is a bonus, silence is ambiguous. */
  | { kind: 'option4'; address: string; formallyRfc868: true }
  | { kind: 'srv'; name: string }
  | { kind: 'fallback-host'; host: string };

export interface TimeSourceInputs {
  option42?: readonly string[];
  option4?: readonly string[];
  sipDomain?: string;
}

export function timeSourcePlan(inputs: TimeSourceInputs): TimeSource[] {
  const seen = new Set<string>();
  const firstTime = (address: string): boolean => !seen.has(address) && Boolean(seen.add(address));
  return [
    ...(inputs.option42 ?? []).filter(firstTime).map((address): TimeSource => ({ kind: 'option42', address })),
    ...(inputs.option4 ?? []).filter(firstTime).map((address): TimeSource => ({ kind: 'option4', address, formallyRfc868: true })),
    ...(inputs.sipDomain ? [{ kind: 'srv', name: `_ntp._udp.${inputs.sipDomain.replace(/\.$/, '')}` } as const] : []),
    { kind: 'fallback-host', host: TIME_WINDOWS_COM },
  ];
}

/** Skew limits of the catalogue's `time-clock-skew`: fail at 5 minutes, warn above about 1 minute. */
export const CLOCK_SKEW_FAIL_MS = 5 * 60_000;
export const CLOCK_SKEW_WARN_MS = 60_000;

export function judgeClockOffset(offsetMs: number, limits = { failMs: CLOCK_SKEW_FAIL_MS, warnMs: CLOCK_SKEW_WARN_MS }): 'pass' | 'warn' | 'fail' {
  const magnitude = Math.abs(offsetMs);
  if (magnitude >= limits.failMs) return 'fail';
  if (magnitude > limits.warnMs) return 'warn';
  return 'pass';
}

/** An HTTP or SIP `Date` header against local time: the second witness (1 s resolution). */
export function dateHeaderOffsetMs(dateHeader: string, receivedAtMs: number): number | undefined {
  const serverMs = Date.parse(dateHeader);
  return Number.isNaN(serverMs) ? undefined : serverMs - receivedAtMs;
}
