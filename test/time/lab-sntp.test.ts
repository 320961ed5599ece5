// The lab SNTP responder through the tool's own client, one fault at a time.
import { afterEach, describe, expect, it } from 'vitest';
import { startSntpResponder, sntpReply, type SntpLabFault } from '../../src/lab/sntp-responder.js';
import type { UdpResponder } from '../../src/lab/udp-responder.js';
import { UdpNoReplyError } from '../../src/net/udp-exchange.js';
import { encodeSntpRequest, querySntp } from '../../src/time/sntp.js';

describe('lab SNTP responder', () => {
  let responder: UdpResponder | undefined;
  let fault: SntpLabFault | undefined;
  afterEach(async () => {
    await responder?.close();
    responder = undefined;
    fault = undefined;
  });

  async function query(timeoutMs = 2000) {
    responder ??= await startSntpResponder({ host: '127.0.0.1', port: 0, currentFault: () => fault });
    return querySntp({ host: '127.0.0.1', port: responder.port }, { timeoutMs });
  }

  it('answers in sync: stratum 3, offset near zero', async () => {
    const result = await query();
    expect(result.verdict).toEqual({ kind: 'usable' });
    expect(result.packet).toMatchObject({ stratum: 3, leap: 0, version: 4, mode: 4 });
    expect(Math.abs(result.offsetMs)).toBeLessThan(1000);
  });

  it('fault unsynchronised: LI 3 and stratum 0, as chrony without sources', async () => {
    fault = { kind: 'unsynchronised' };
    const result = await query();
    expect(result.packet).toMatchObject({ leap: 3, stratum: 0, referenceIdHex: '00000000' });
    expect(result.verdict.kind).toBe('unsynchronised');
  });

  it('fault offset: the server clock is 7 minutes ahead', async () => {
    fault = { kind: 'offset', offsetMs: 420_000 };
    const result = await query();
    expect(Math.abs(result.offsetMs - 420_000)).toBeLessThan(1000);
  });

  it('fault silent: no reply until the deadline', async () => {
    fault = { kind: 'silent' };
    await expect(query(150)).rejects.toBeInstanceOf(UdpNoReplyError);
  });

  it('ignores datagrams that are not client requests and answers NTPv3 as v3', () => {
    const request = encodeSntpRequest(Date.now(), 3);
    expect(sntpReply(request.subarray(0, 47), Date.now(), undefined)).toBeUndefined();
    const serverMode = Buffer.from(request);
    serverMode[0] = 0x1c;
    expect(sntpReply(serverMode, Date.now(), undefined)).toBeUndefined();
    expect(sntpReply(request, Date.now(), undefined)?.[0]).toBe(0x1c);
  });
});
