// The cmdlet prints Latency as a .NET TimeSpan: hh:mm:ss.fffffff (7 fractional digits = 100 ns ticks),
// with a "d." day prefix from 24 hours on.

const TICKS_PER_MS = 10_000;
const TICKS_PER_SECOND = 1000 * TICKS_PER_MS;

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** 6412.3456 -> '00:00:06.4123456'. Throws on a negative or non-finite value (a bug in the caller). */
export function formatLatency(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`latency must be a finite, non-negative number of ms, got ${ms}`);
  const ticks = Math.round(ms * TICKS_PER_MS);
  const fraction = ticks % TICKS_PER_SECOND;
  const totalSeconds = Math.floor(ticks / TICKS_PER_SECOND);
  const seconds = totalSeconds % 60;
  const minutes = Math.floor(totalSeconds / 60) % 60;
  const totalHours = Math.floor(totalSeconds / 3600);
  const hours = totalHours % 24;
  const days = Math.floor(totalHours / 24);
  const clock = `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}.${pad(fraction, 7)}`;
  return days > 0 ? `${days}.${clock}` : clock;
}

/** Stage table durations: whole milliseconds, at least '0'. */
export function formatMs(ms: number): string {
  return Number.isFinite(ms) && ms > 0 ? String(Math.round(ms)) : '0';
}
