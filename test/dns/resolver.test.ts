import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { DnsFormatError } from '../../src/dns/message.js';
import { DnsServerSyntaxError, parseDnsServer, queryDns } from '../../src/dns/resolver.js';
import { UdpNoReplyError } from '../../src/net/udp-exchange.js';

describe('parseDnsServer', () => {
  it('reads host, host:port and bracketed IPv6', () => {
    expect(parseDnsServer('10.0.0.2')).toEqual({ host: '10.0.0.2', port: 53 });
    expect(parseDnsServer('127.0.0.1:5353')).toEqual({ host: '127.0.0.1', port: 5353 });
    expect(parseDnsServer('::1')).toEqual({ host: '::1', port: 53 });
    expect(parseDnsServer('[::1]:5353')).toEqual({ host: '::1', port: 5353 });
  });

  it('names the option and the value it could not read', () => {
    expect(() => parseDnsServer('dns.lab.test')).toThrow(new DnsServerSyntaxError('--dns-server: "dns.lab.test" is not an IP address with an optional :port'));
    expect(() => parseDnsServer('127.0.0.1:0', 'option 6')).toThrow(/^option 6: port "0" in "127.0.0.1:0" is not in 1..65535$/);
    expect(() => parseDnsServer('127.0.0.1:70000')).toThrow(/not in 1..65535/);
  });
});

describe('queryDns over loopback', () => {
  let server: Socket | undefined;
  afterEach(() => server?.close());

  /** A DNS responder written for this test: answers each query with what `reply` builds from it. */
  async function startServer(reply: (query: Buffer) => Buffer[]): Promise<number> {
    const socket = createSocket('udp4');
    server = socket;
    socket.on('message', (query, from) => {
      for (const datagram of reply(query)) socket.send(datagram, from.port, from.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return socket.address().port;
  }

  /** Header with QR|AA|RD|RA and `rcode`, the question echoed, then `answers` (already encoded). */
  function response(query: Buffer, rcode: number, answers: Buffer[] = [], id = query.readUInt16BE(0)): Buffer {
    const header = Buffer.alloc(12);
    header.writeUInt16BE(id, 0);
    header.writeUInt16BE(0x8580 | rcode, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    return Buffer.concat([header, query.subarray(12), ...answers]);
  }

  const aRecord = (address: number[]): Buffer => Buffer.from([0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 60, 0x00, 0x04, ...address]);

  it('returns the A records and skips a reply with another id', async () => {
    const port = await startServer((query) => [response(query, 0, [aRecord([10, 0, 0, 9])], query.readUInt16BE(0) ^ 1), response(query, 0, [aRecord([127, 0, 0, 5])])]);
    const result = await queryDns({ host: '127.0.0.1', port }, 'pool01.lab.test', 'A', { timeoutMs: 2000 });
    expect(result).toMatchObject({ outcome: 'answer', records: [{ type: 'A', address: '127.0.0.5' }], name: 'pool01.lab.test', type: 'A' });
    expect(result.elapsedMs).toBeGreaterThanOrEqual(0);
  });

  it('reports NXDOMAIN, NODATA, SERVFAIL and REFUSED as outcomes', async () => {
    const rcodes = new Map([['nx', 3], ['nodata', 0], ['fail', 2], ['refused', 5]]);
    const port = await startServer((query) => {
      const label = query.subarray(13, 13 + query[12]!).toString();
      return [response(query, rcodes.get(label) ?? 4)];
    });
    const ask = (name: string) => queryDns({ host: '127.0.0.1', port }, `${name}.lab.test`, 'SRV', { timeoutMs: 2000 });
    expect((await ask('nx')).outcome).toBe('nxdomain');
    expect((await ask('nodata')).outcome).toBe('nodata');
    expect((await ask('fail')).outcome).toBe('servfail');
    expect((await ask('refused')).outcome).toBe('refused');
    expect(await ask('other')).toMatchObject({ outcome: 'error', rcode: 'NOTIMP' });
  });

  it('says where a reply with our id is damaged', async () => {
    const port = await startServer((query) => [Buffer.concat([response(query, 0).subarray(0, 6), Buffer.from([0, 1, 0, 0, 0, 0])])]);
    await expect(queryDns({ host: '127.0.0.1', port }, 'a.lab.test', 'A', { timeoutMs: 2000 })).rejects.toBeInstanceOf(DnsFormatError);
  });

  it('gives no-reply at the deadline when the server is silent', async () => {
    const port = await startServer(() => []);
    await expect(queryDns({ host: '127.0.0.1', port }, 'a.lab.test', 'A', { timeoutMs: 150 })).rejects.toBeInstanceOf(UdpNoReplyError);
  });
});
