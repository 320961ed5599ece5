import { describe, expect, it } from 'vitest';
import { containingDomains, isInsideDomain, orderSrvTargets, registrarCandidates, sipDomainFromUri, type SrvRecord } from '../../src/dns/registrar-lookup.js';

describe('registrar look-up order', () => {
  it('puts internal SRV TLS, then option 120 TLS, internal TCP, option 120 TCP, external, then host fallbacks', () => {
    const plan = registrarCandidates('Lab.Test.', 'POOL01.lab.test');
    expect(plan.map((step) => (step.kind === 'srv' ? step.name : `${step.kind}:${step.host}:${step.port}`))).toEqual([
      '_sipinternaltls._tcp.lab.test',
      'option120:pool01.lab.test:5061',
      '_sipinternal._tcp.lab.test',
      'option120:pool01.lab.test:5060',
      '_sip._tls.lab.test',
      '_sip._tcp.lab.test',
      'host:sipinternal.lab.test:5061',
      'host:sipinternal.lab.test:443',
      'host:sip.lab.test:5061',
      'host:sip.lab.test:443',
      'host:sipexternal.lab.test:5061',
      'host:sipexternal.lab.test:443',
    ]);
    expect(registrarCandidates('lab.test').some((step) => step.kind === 'option120')).toBe(false);
  });

  it('takes the SIP domain from a SIP URI', () => {
    expect(sipDomainFromUri('sip:jeff@Lab.Test')).toBe('lab.test');
    expect(sipDomainFromUri('<sip:jeff@lab.test;user=phone>')).toBe('lab.test');
    expect(sipDomainFromUri('sips:lab.test:5061')).toBe('lab.test');
    expect(sipDomainFromUri('tel:+15551234')).toBeUndefined();
  });
});

describe('strict naming (SRV target inside the SIP domain)', () => {
  it.each([
    ['pool01.lab.test', true],
    ['POOL01.Lab.Test.', true],
    ['lab.test', true],
    ['pool01.child.lab.test', true],
    ['pool01.other.test', false],
    ['pool01.lab.test.evil', false],
    ['pool01.xlab.test', false],
    ['lab.test-x', false],
  ])('%s inside lab.test: %s', (target, inside) => {
    expect(isInsideDomain(target, 'lab.test')).toBe(inside);
  });

  it('lists the 119/15 domains that contain the option-120 host', () => {
    expect(containingDomains('pool01.lab.test', ['corp.test', 'lab.test'])).toEqual(['lab.test']);
    expect(containingDomains('pool01.other.test', ['corp.test', 'lab.test'])).toEqual([]);
  });
});

describe('SRV order (RFC 2782)', () => {
  const srv = (target: string, priority: number, weight: number): SrvRecord => ({ type: 'SRV', target, priority, weight, port: 5061 });

  it('orders by priority, then by weighted draw', () => {
    const records = [srv('c', 20, 0), srv('a', 10, 90), srv('b', 10, 10)];
    // Draw 0.5 of 101 → 50: running sums in weight order are b=10, a=100 → a first; then b.
    expect(orderSrvTargets(records, () => 0.5).map((record) => record.target)).toEqual(['a', 'b', 'c']);
    // Draw 0 → 0: b's running sum 10 ≥ 0 → b first.
    expect(orderSrvTargets(records, () => 0).map((record) => record.target)).toEqual(['b', 'a', 'c']);
  });

  it('treats a lone "." target as "service not offered"', () => {
    expect(orderSrvTargets([srv('.', 0, 0)])).toEqual([]);
    expect(orderSrvTargets([srv('', 0, 0)])).toEqual([]);
  });
});
