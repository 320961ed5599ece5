import { describe, expect, it } from 'vitest';
import { dateHeaderOffsetMs, judgeClockOffset, timeSourcePlan } from '../../src/time/sources.js';

describe('time source plan', () => {
  it('asks option 42, then option 4 (flagged as RFC 868), then _ntp._udp, then time.windows.com', () => {
    expect(timeSourcePlan({ option42: ['10.0.0.1', '10.0.0.2'], option4: ['10.0.0.2', '10.0.0.3'], sipDomain: 'lab.test.' })).toEqual([
      { kind: 'option42', address: '10.0.0.1' },
      { kind: 'option42', address: '10.0.0.2' },
      { kind: 'option4', address: '10.0.0.3', formallyRfc868: true },
      { kind: 'srv', name: '_ntp._udp.lab.test' },
      { kind: 'fallback-host', host: 'time.windows.com' },
    ]);
    expect(timeSourcePlan({})).toEqual([{ kind: 'fallback-host', host: 'time.windows.com' }]);
  });
});

describe('clock skew verdicts', () => {
  it.each([
    [0, 'pass'],
    [60_000, 'pass'],
    [-60_001, 'warn'],
    [299_999, 'warn'],
    [300_000, 'fail'],
    [-600_000, 'fail'],
  ])('%d ms → %s', (offset, verdict) => {
    expect(judgeClockOffset(offset)).toBe(verdict);
  });

  it('reads a Date header as a second witness', () => {
    expect(dateHeaderOffsetMs('Mon, 30 Nov 2026 00:16:13 GMT', Date.UTC(2026, 10, 30, 0, 11, 13))).toBe(300_000);
    expect(dateHeaderOffsetMs('yesterday', 0)).toBeUndefined();
  });
});
