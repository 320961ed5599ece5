import { describe, expect, it } from 'vitest';
import { decodeGssapiData, encodeGssapiData, findAlert, isCompleteFlight, splitTlsRecords } from '../../src/sip/gssapi.js';

const record = (type: number, fragment: number[]): Buffer => Buffer.from([type, 3, 1, fragment.length >> 8, fragment.length & 0xff, ...fragment]);
const handshake = (type: number, body: number[] = []): number[] => [type, 0, 0, body.length, ...body];

describe('gssapi-data TLS record framing', () => {
  it('treats a ClientHello or a ServerHelloDone as the end of a plaintext flight', () => {
    expect(isCompleteFlight(record(22, handshake(1, [3, 1])))).toBe(true);
    const serverFlight = Buffer.concat([record(22, handshake(2, [3, 1])), record(22, handshake(11, [0, 0, 0])), record(22, handshake(14))]);
    expect(isCompleteFlight(serverFlight.subarray(0, serverFlight.length - 9))).toBe(false);
    expect(isCompleteFlight(serverFlight)).toBe(true);
    // Several handshake messages in one record, as pidgin-sipe packs them.
    expect(isCompleteFlight(record(22, [...handshake(2, [3, 1]), ...handshake(14)]))).toBe(true);
  });

  it('ends a flight one record after ChangeCipherSpec, and waits for a cut record', () => {
    const ccs = record(20, [1]);
    expect(isCompleteFlight(ccs)).toBe(false);
    const finished = record(22, new Array(48).fill(7));
    expect(isCompleteFlight(Buffer.concat([ccs, finished]))).toBe(true);
    expect(isCompleteFlight(Buffer.concat([ccs, finished.subarray(0, 20)]))).toBe(false);
    expect(splitTlsRecords(Buffer.concat([ccs, finished.subarray(0, 20)])).incomplete).toBe(true);
  });

  it('reads a plaintext alert and notes an encrypted one', () => {
    expect(findAlert(record(21, [2, 70]))).toEqual({ level: 2, description: 70 });
    expect(isCompleteFlight(record(21, [2, 40]))).toBe(true);
    expect(findAlert(Buffer.concat([record(20, [1]), record(21, new Array(32).fill(1))]))).toEqual({});
    expect(findAlert(record(22, handshake(14)))).toBeUndefined();
  });

  it('round-trips base64 and refuses junk or a cut record', () => {
    const bytes = record(22, handshake(14));
    expect(decodeGssapiData(encodeGssapiData(bytes))).toEqual(bytes);
    expect(() => decodeGssapiData('FgMB AAQOAAAA')).toThrow(/not padded base64/);
    expect(() => decodeGssapiData('')).toThrow(/not padded base64/);
    expect(() => decodeGssapiData(encodeGssapiData(bytes.subarray(0, 7)))).toThrow(/ends inside a TLS record/);
  });
});
