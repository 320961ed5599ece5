import { describe, expect, it } from 'vitest';
import { formatLatency, formatMs } from '../../src/report/latency.js';
import { paint, terminalStyle } from '../../src/report/style.js';

describe('formatLatency (cmdlet TimeSpan hh:mm:ss.fffffff)', () => {
  it('prints seven fractional digits', () => {
    expect(formatLatency(6412.3456)).toBe('00:00:06.4123456');
    expect(formatLatency(0)).toBe('00:00:00.0000000');
    expect(formatLatency(0.00005)).toBe('00:00:00.0000001');
    expect(formatLatency(1)).toBe('00:00:00.0010000');
  });

  it('carries into minutes and hours, and adds a day prefix from 24 hours', () => {
    expect(formatLatency(61_000)).toBe('00:01:01.0000000');
    expect(formatLatency(3_600_000 + 2 * 60_000 + 3_500)).toBe('01:02:03.5000000');
    expect(formatLatency(25 * 3_600_000)).toBe('1.01:00:00.0000000');
  });

  it('rounds to the 100 ns tick without overflowing the fraction', () => {
    expect(formatLatency(999.99999)).toBe('00:00:01.0000000');
  });

  it('rejects negative and non-finite values', () => {
    expect(() => formatLatency(-1)).toThrow(RangeError);
    expect(() => formatLatency(Number.NaN)).toThrow(RangeError);
  });

  it('formats table milliseconds as whole numbers', () => {
    expect(formatMs(12.6)).toBe('13');
    expect(formatMs(0)).toBe('0');
  });
});

describe('terminalStyle', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };

  it('colours a TTY by default', () => {
    expect(terminalStyle(tty, { TERM: 'xterm-256color' })).toEqual({ color: true, tty: true });
  });

  it('never colours or animates a pipe', () => {
    expect(terminalStyle(pipe, { TERM: 'xterm' })).toEqual({ color: false, tty: false });
    expect(terminalStyle({}, {})).toEqual({ color: false, tty: false });
  });

  it('turns colour off with a non-empty NO_COLOR, but not with an empty one', () => {
    expect(terminalStyle(tty, { NO_COLOR: '1' })).toEqual({ color: false, tty: true });
    expect(terminalStyle(tty, { NO_COLOR: '' }).color).toBe(true);
  });

  it('treats TERM=dumb as no colour and no live display', () => {
    expect(terminalStyle(tty, { TERM: 'dumb' })).toEqual({ color: false, tty: false });
  });

  it('honours --no-color', () => {
    expect(terminalStyle(tty, {}, { color: false })).toEqual({ color: false, tty: true });
    expect(terminalStyle(tty, {}, { color: true }).color).toBe(true);
  });

  it('paints only when colour is on', () => {
    expect(paint({ color: true, tty: true }, 'red', 'x')).toBe('\u001b[31mx\u001b[0m');
    expect(paint({ color: false, tty: true }, 'red', 'x')).toBe('x');
  });
});
