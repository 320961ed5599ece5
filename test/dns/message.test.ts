import { describe, expect, it } from 'vitest';
import { decodeDnsMessage, DnsFormatError, encodeDnsQuery, encodeName, interpretResponse, readName } from '../../src/dns/message.js';

// Replies captured from dnsmasq 2.90 on loopback (--srv-host, --host-record, --cname, --local=/lab.test/).
const DNSMASQ = {
  srv: '1234858000010001000000020f5f736970696e7465726e616c746c73045f746370036c616204746573740000210001c00c002100010000000000170000006413c506706f6f6c3031036c6162047465737400c041000100010000000000047f000005c041001c000100000000001000000000000000000000000000000001',
  nxdomain: '123581830001000000000000045f736970045f746c73036c616204746573740000210001',
  aaaa: '12368580000100010000000006706f6f6c3031036c6162047465737400001c0001c00c001c000100000000001000000000000000000000000000000001',
  cname: '12378580000100020000000003736970036c616204746573740000010001c00c0005000100000000001106706f6f6c3031036c6162047465737400c02a000100010000000000047f000005',
  outside: '123885800001000100000000045f736970045f746c730362616404746573740000210001c00c002100010000000000190000000013c506706f6f6c3031056f74686572047465737400',
  nodata: '12398180000100000000000006706f6f6c3031036c616204746573740000210001',
};
const bytes = (hex: string): Buffer => Buffer.from(hex, 'hex');

describe('DNS query encoding', () => {
  it('writes the query dnsmasq answered (id, RD, one IN question)', () => {
    // The captured reply echoes the question: bytes 12.. of the query equal the reply's question section.
    const query = encodeDnsQuery(0x1234, '_sipinternaltls._tcp.lab.test', 'SRV');
    expect(query.subarray(0, 12).toString('hex')).toBe('123401000001000000000000');
    expect(query.subarray(12)).toEqual(bytes(DNSMASQ.srv).subarray(12, query.length));
    expect(encodeDnsQuery(1, 'lab.test.', 'A')).toEqual(encodeDnsQuery(1, 'lab.test', 'A'));
  });

  it('refuses names DNS cannot carry', () => {
    expect(() => encodeName(`${'a'.repeat(64)}.test`)).toThrow(/label of 64 bytes/);
    expect(() => encodeName('a..test')).toThrow(/label of 0 bytes/);
    expect(() => encodeName(Array.from({ length: 60 }, () => 'abcd').join('.'))).toThrow(/longer than 255/);
  });
});

describe('DNS response decoding (dnsmasq captures)', () => {
  it('reads an SRV answer with its A/AAAA additionals through a pointer into record data', () => {
    const response = decodeDnsMessage(bytes(DNSMASQ.srv));
    expect(response).toMatchObject({ id: 0x1234, isResponse: true, authoritative: true, rcode: 0, truncated: false });
    expect(response.answers[0]).toMatchObject({ name: '_sipinternaltls._tcp.lab.test', data: { type: 'SRV', priority: 0, weight: 100, port: 5061, target: 'pool01.lab.test' } });
    expect(response.additionals.map((record) => record.data)).toEqual([
      { type: 'A', address: '127.0.0.5' },
      { type: 'AAAA', address: '::1' },
    ]);
    expect(interpretResponse(response, '_sipinternaltls._tcp.lab.test', 'SRV').outcome).toBe('answer');
  });

  it('tells NXDOMAIN from NODATA', () => {
    expect(interpretResponse(decodeDnsMessage(bytes(DNSMASQ.nxdomain)), '_sip._tls.lab.test', 'SRV')).toMatchObject({ outcome: 'nxdomain', rcode: 'NXDOMAIN', records: [] });
    expect(interpretResponse(decodeDnsMessage(bytes(DNSMASQ.nodata)), 'pool01.lab.test', 'SRV')).toMatchObject({ outcome: 'nodata', rcode: 'NOERROR', records: [] });
  });

  it('follows a CNAME to the A record and reports the alias', () => {
    const answer = interpretResponse(decodeDnsMessage(bytes(DNSMASQ.cname)), 'sip.lab.test', 'A');
    expect(answer).toMatchObject({ outcome: 'answer', aliases: ['pool01.lab.test'], records: [{ type: 'A', address: '127.0.0.5' }] });
    // Asked for the CNAME itself: no chasing.
    expect(interpretResponse(decodeDnsMessage(bytes(DNSMASQ.cname)), 'sip.lab.test', 'CNAME').records).toEqual([{ type: 'CNAME', target: 'pool01.lab.test' }]);
  });

  it('reads an AAAA answer and an SRV target in another domain verbatim', () => {
    expect(interpretResponse(decodeDnsMessage(bytes(DNSMASQ.aaaa)), 'POOL01.lab.test.', 'AAAA').records).toEqual([{ type: 'AAAA', address: '::1' }]);
    expect(interpretResponse(decodeDnsMessage(bytes(DNSMASQ.outside)), '_sip._tls.bad.test', 'SRV').records).toEqual([
      { type: 'SRV', priority: 0, weight: 0, port: 5061, target: 'pool01.other.test' },
    ]);
  });

  it('refuses every truncation of a captured reply with a DnsFormatError, never another exception', () => {
    const whole = bytes(DNSMASQ.srv);
    for (let length = 0; length < whole.length; length++) {
      expect(() => decodeDnsMessage(whole.subarray(0, length))).toThrow(DnsFormatError);
    }
  });
});

describe('DNS name compression safety', () => {
  it('refuses a pointer to itself and a forward pointer (no loop can be followed)', () => {
    const self = Buffer.from([0x03, 0x61, 0x62, 0x63, 0xc0, 0x04]);
    expect(() => readName(self, 4)).toThrow(/does not point backwards/);
    const forward = Buffer.from([0xc0, 0x02, 0x01, 0x61, 0x00]);
    expect(() => readName(forward, 0)).toThrow(/does not point backwards/);
    // Two pointers bouncing between each other.
    const pingPong = Buffer.from([0xc0, 0x02, 0xc0, 0x00]);
    expect(() => readName(pingPong, 2)).toThrow(/does not point backwards/);
  });

  it('follows a long chain of backward pointers to the one label it ends in', () => {
    // "a" at 0, then 3000 pointers, each to the pointer before it: 3000 hops, each moving strictly back.
    const parts = [0x01, 0x61, 0x00];
    for (let index = 0; index < 3000; index++) {
      const target = index === 0 ? 0 : 3 + 2 * (index - 1);
      parts.push(0xc0 | (target >> 8), target & 0xff);
    }
    const chain = Buffer.from(parts);
    expect(readName(chain, chain.length - 2)).toEqual({ name: 'a', next: chain.length });
    const labels = Buffer.from([0x01, 0x62, 0xc0, 0x00]);
    expect(readName(Buffer.concat([chain, labels]), chain.length)).toEqual({ name: 'b.a', next: chain.length + 4 });
  });

  it('refuses a name longer than 255 bytes built from pointers', () => {
    // 63-byte label repeated via prefix chains: each segment adds a label and points back.
    const segments: number[] = [];
    let previous = -1;
    for (let index = 0; index < 5; index++) {
      const start = segments.length;
      segments.push(63, ...new Array(63).fill(0x61));
      if (previous < 0) segments.push(0);
      else segments.push(0xc0 | (previous >> 8), previous & 0xff);
      previous = start;
    }
    expect(() => readName(Buffer.from(segments), previous)).toThrow(/longer than 255/);
  });

  it('escapes dots and non-printable bytes inside labels', () => {
    expect(readName(Buffer.from([0x03, 0x61, 0x2e, 0x01, 0x00]), 0).name).toBe('a\\046\\001');
  });
});
