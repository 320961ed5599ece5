// The lab DNS responder through the tool's own resolver, one fault at a time.
import { afterEach, describe, expect, it } from 'vitest';
import { decodeDnsMessage, encodeDnsQuery, encodeDnsResponse } from '../../src/dns/message.js';
import { isInsideDomain } from '../../src/dns/registrar-lookup.js';
import { queryDns } from '../../src/dns/resolver.js';
import { startDnsResponder, type DnsLabFault, type LabZone } from '../../src/lab/dns-responder.js';
import type { UdpResponder } from '../../src/lab/udp-responder.js';

const ZONE: LabZone = {
  sipDomain: 'lab.test',
  registrarHost: 'pool01.lab.test',
  registrarPort: 5061,
  ntpHost: 'ntp.lab.test',
  addresses: { 'pool01.lab.test': '127.0.0.5', 'ntp.lab.test': '127.0.0.6' },
  outsideTarget: 'pool01.other.test',
};

describe('lab DNS responder', () => {
  let responder: UdpResponder | undefined;
  let fault: DnsLabFault | undefined;
  afterEach(async () => {
    await responder?.close();
    responder = undefined;
    fault = undefined;
  });

  async function ask(name: string, type: 'SRV' | 'A' | 'AAAA') {
    responder ??= await startDnsResponder({ host: '127.0.0.1', port: 0, zone: ZONE, currentFault: () => fault });
    return queryDns({ host: '127.0.0.1', port: responder.port }, name, type, { timeoutMs: 2000 });
  }

  it('serves the registrar and NTP SRV records and the hosts', async () => {
    expect((await ask('_sipinternaltls._tcp.lab.test', 'SRV')).records).toEqual([{ type: 'SRV', priority: 0, weight: 0, port: 5061, target: 'pool01.lab.test' }]);
    expect((await ask('_ntp._udp.lab.test', 'SRV')).records).toEqual([{ type: 'SRV', priority: 0, weight: 0, port: 123, target: 'ntp.lab.test' }]);
    expect((await ask('POOL01.lab.test', 'A')).records).toEqual([{ type: 'A', address: '127.0.0.5' }]);
    expect((await ask('pool01.lab.test', 'AAAA')).outcome).toBe('nodata');
    expect((await ask('_sip._tls.lab.test', 'SRV')).outcome).toBe('nxdomain');
    expect((await ask('pool01.example.com', 'A')).outcome).toBe('refused');
  });

  it('fault nxdomain: the registrar SRV record is gone', async () => {
    fault = 'nxdomain';
    expect((await ask('_sipinternaltls._tcp.lab.test', 'SRV')).outcome).toBe('nxdomain');
  });

  it('fault target-outside-domain: the SRV target breaks the strict-naming rule', async () => {
    fault = 'target-outside-domain';
    const [record] = (await ask('_sipinternaltls._tcp.lab.test', 'SRV')).records;
    expect(record?.type === 'SRV' && record.target).toBe('pool01.other.test');
    expect(record?.type === 'SRV' && isInsideDomain(record.target, 'lab.test')).toBe(false);
  });

  it('fault nodata: the registrar host exists without an A record', async () => {
    fault = 'nodata';
    expect(await ask('pool01.lab.test', 'A')).toMatchObject({ outcome: 'nodata', rcode: 'NOERROR' });
  });

  it('encodes AAAA and SOA records the decoder reads back', () => {
    const query = decodeDnsMessage(encodeDnsQuery(7, 'h.lab.test', 'AAAA'));
    const reply = decodeDnsMessage(
      encodeDnsResponse(query, 0, [{ name: 'h.lab.test', ttl: 5, data: { type: 'AAAA', address: '2001:db8::1:0:0:2' } }], [
        { name: 'lab.test', ttl: 5, data: { type: 'SOA', primary: 'ns.lab.test', mailbox: 'hm.lab.test', serial: 9, minimum: 60 } },
      ]),
    );
    expect(reply.answers[0]?.data).toEqual({ type: 'AAAA', address: '2001:db8::1:0:0:2' });
    expect(reply.authorities[0]?.data).toEqual({ type: 'SOA', primary: 'ns.lab.test', mailbox: 'hm.lab.test', serial: 9, minimum: 60 });
  });
});
