import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { observationOf } from '../../src/diagnosis/transport.js';
import { UdpNoReplyError } from '../../src/net/udp-exchange.js';
import {
  answersRequest,
  clockOffsetMs,
  decodeSntpPacket,
  encodeSntpRequest,
  judgeSntpReply,
  ntpTimestampToUnixMs,
  querySntp,
  roundTripMs,
  unixMsToNtpTimestamp,
} from '../../src/time/sntp.js';

// Captured from chrony 4.3 (`local stratum 8`) on a namespace loopback.
const CHRONY_REQUEST = hex('23000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 eeb72786 3c28f5c2');
const CHRONY_REPLY = hex('240800e7 00000000 00000000 7f7f0101 eeb7278477ff072d eeb727863c28f5c2 eeb727863dbb5d03 eeb727863e3d7542');
// chrony 4.3 without `local` and without sources: LI 3, stratum 0, refid 0.0.0.0.
const UNSYNCHRONISED_REPLY = hex('e40000e7 00010000 00010000 00000000 0000000000000000 eeb727863c28f5c2 0000000000000000 0000000000000000');

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

describe('SNTP codec', () => {
  it('encodes the request chrony answered, byte for byte apart from sub-microsecond rounding of the transmit time', () => {
    const t1 = ntpTimestampToUnixMs(0xeeb72786, 0x3c28f5c2);
    const request = encodeSntpRequest(t1);
    expect(request.subarray(0, 44)).toEqual(CHRONY_REQUEST.subarray(0, 44));
    expect(Math.abs(request.readUInt32BE(44) - 0x3c28f5c2)).toBeLessThan(4096); // < 1 µs
    expect(encodeSntpRequest(t1, 3)[0]).toBe(0x1b);
  });

  it('decodes the chrony reply: LI 0, VN 4, mode 4, stratum 8, precision -25, refid 127.127.1.1', () => {
    const packet = decodeSntpPacket(CHRONY_REPLY);
    expect(packet).toMatchObject({ leap: 0, version: 4, mode: 4, stratum: 8, poll: 0, precision: -25, referenceIdHex: '7f7f0101' });
    expect(packet.referenceIdAscii).toBeUndefined();
    expect(packet.originateWire).toEqual(CHRONY_REQUEST.subarray(40, 48));
    expect(new Date(packet.transmitMs).toISOString()).toBe('2026-11-29T22:36:54.243Z');
    expect(answersRequest(CHRONY_REQUEST, CHRONY_REPLY)).toBe(true);
    expect(judgeSntpReply(packet)).toEqual({ kind: 'usable' });
  });

  it('rejects a reply whose originate does not echo our transmit (stale or spoofed)', () => {
    const other = Buffer.from(CHRONY_REQUEST);
    other.writeUInt8(other.readUInt8(47) ^ 1, 47);
    expect(answersRequest(other, CHRONY_REPLY)).toBe(false);
    expect(answersRequest(CHRONY_REQUEST, CHRONY_REQUEST)).toBe(false); // mode 3 is not an answer
  });

  it('calls the unsynchronised chrony reply unsynchronised (LI 3)', () => {
    const packet = decodeSntpPacket(UNSYNCHRONISED_REPLY);
    expect(packet).toMatchObject({ leap: 3, stratum: 0, rootDelay: 1, rootDispersion: 1 });
    expect(judgeSntpReply(packet)).toEqual({ kind: 'unsynchronised', reason: 'leap indicator 3 (clock not synchronised)' });
  });

  it('tells stratum 0 / 16 without alarm as unsynchronised and an ASCII stratum-0 refid as kiss-o-death', () => {
    const reply = Buffer.from(CHRONY_REPLY);
    reply[1] = 16;
    expect(judgeSntpReply(decodeSntpPacket(reply)).kind).toBe('unsynchronised');
    reply[1] = 0;
    reply.writeUInt32BE(0, 12);
    expect(judgeSntpReply(decodeSntpPacket(reply))).toEqual({ kind: 'unsynchronised', reason: 'stratum 0 (unspecified) with no reference' });
    reply.write('RATE', 12, 'latin1');
    expect(judgeSntpReply(decodeSntpPacket(reply))).toEqual({ kind: 'kiss-of-death', code: 'RATE' });
    reply.write('DENY', 12, 'latin1');
    expect(judgeSntpReply(decodeSntpPacket(reply))).toEqual({ kind: 'kiss-of-death', code: 'DENY' });
  });

  it('flags a zero transmit timestamp and a non-server mode as invalid', () => {
    const reply = Buffer.from(CHRONY_REPLY);
    reply.fill(0, 40, 48);
    expect(judgeSntpReply(decodeSntpPacket(reply))).toEqual({ kind: 'invalid', reason: 'transmit timestamp is zero' });
    reply[0] = 0x25; // mode 5 broadcast
    expect(judgeSntpReply(decodeSntpPacket(reply)).kind).toBe('invalid');
  });

  it('refuses a packet shorter than 48 bytes', () => {
    expect(() => decodeSntpPacket(CHRONY_REPLY.subarray(0, 47))).toThrow(/47 bytes/);
  });

  it('applies the 2036 era rule: a clear top bit of the seconds means era 1', () => {
    expect(new Date(ntpTimestampToUnixMs(0, 1)).toISOString()).toBe('2036-02-07T06:28:16.000Z');
    expect(new Date(ntpTimestampToUnixMs(0xffffffff, 0)).toISOString()).toBe('2036-02-07T06:28:15.000Z');
    const after2036 = Date.UTC(2040, 0, 1);
    const wire = unixMsToNtpTimestamp(after2036);
    expect(wire.seconds).toBeLessThan(0x8000_0000);
    expect(ntpTimestampToUnixMs(wire.seconds, wire.fraction)).toBe(after2036);
    expect(ntpTimestampToUnixMs(0, 0)).toBe(0);
  });

  it('computes offset and round trip as RFC 5905 §8 defines them', () => {
    // Server 300 s ahead; 40 ms each way; 2 ms inside the server.
    const times = { t1: 1_000, t2: 301_040, t3: 301_042, t4: 1_082 };
    expect(clockOffsetMs(times)).toBe(300_000);
    expect(roundTripMs(times)).toBe(80);
    const chrony = decodeSntpPacket(CHRONY_REPLY);
    const vector = { t1: chrony.originateMs, t2: chrony.receiveMs, t3: chrony.transmitMs, t4: chrony.transmitMs + 0.5 };
    expect(roundTripMs(vector)).toBeCloseTo(0.5 + (chrony.receiveMs - chrony.originateMs), 6);
  });
});

describe('querySntp over loopback', () => {
  let server: Socket | undefined;
  afterEach(() => server?.close());

  /** A 20-line SNTP responder written for this test from RFC 4330, with its clock `skewMs` ahead. */
  async function startResponder(answer: (request: Buffer) => Buffer[]): Promise<number> {
    const socket = createSocket('udp4');
    server = socket;
    socket.on('message', (request, from) => {
      for (const reply of answer(request)) socket.send(reply, from.port, from.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return socket.address().port;
  }

  function serverReply(request: Buffer, serverNowMs: number, first = 0x24, stratum = 2): Buffer {
    const reply = Buffer.alloc(48);
    reply[0] = first;
    reply[1] = stratum;
    request.copy(reply, 24, 40, 48);
    for (const offset of [16, 32, 40]) {
      const { seconds, fraction } = unixMsToNtpTimestamp(serverNowMs);
      reply.writeUInt32BE(seconds, offset);
      reply.writeUInt32BE(fraction, offset + 4);
    }
    return reply;
  }

  it('measures a server clock 10 minutes ahead and ignores a datagram that does not echo the request', async () => {
    const skewMs = 600_000;
    const port = await startResponder((request) => {
      // First a reply with the true time but a wrong originate: the client must skip it.
      const decoy = serverReply(request, Date.now());
      decoy.writeUInt8(decoy.readUInt8(31) ^ 0xff, 31);
      return [decoy, serverReply(request, Date.now() + skewMs)];
    });
    const result = await querySntp({ host: '127.0.0.1', port }, { timeoutMs: 2000 });
    expect(result.verdict).toEqual({ kind: 'usable' });
    expect(Math.abs(result.offsetMs - skewMs)).toBeLessThan(1000);
    expect(result.roundTripMs).toBeGreaterThanOrEqual(0);
    expect(result.packet.stratum).toBe(2);
  });

  it('reports an unsynchronised server', async () => {
    const port = await startResponder((request) => [serverReply(request, Date.now(), 0xe4, 0)]);
    const result = await querySntp({ host: '127.0.0.1', port }, { timeoutMs: 2000 });
    expect(result.verdict.kind).toBe('unsynchronised');
  });

  it('rejects with no-reply when the server stays silent until the deadline', async () => {
    const port = await startResponder(() => []);
    const error = await querySntp({ host: '127.0.0.1', port }, { timeoutMs: 150 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UdpNoReplyError);
    expect(observationOf(error as UdpNoReplyError)).toBe('no-reply');
  });

  it('ends at once when the stage signal is aborted', async () => {
    const port = await startResponder(() => []);
    const controller = new AbortController();
    const pending = querySntp({ host: '127.0.0.1', port }, { timeoutMs: 60_000, signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toThrow(/stage deadline/);
  });
});
