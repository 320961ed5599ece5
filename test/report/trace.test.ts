import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { createRedactor } from '../../src/report/redact.js';
import { createTraceWriter, dhcpMessageTypeName, httpLabel } from '../../src/report/trace.js';

const PIN = '14789';
const ENTROPY = Buffer.from('0123456789abcdef0123456789abcdef');

function informPacket(type = 8): Uint8Array {
  const packet = Buffer.alloc(300);
  packet[0] = 1;
  packet.writeUInt32BE(0x63825363, 236);
  packet.set([53, 1, type, 60, 12, ...Buffer.from('MS-UC-Client'), 55, 2, 120, 43, 255], 240);
  return packet;
}

const PIN_REQUEST = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><wsse:Security><wsse:UsernameToken><wsse:Username>7501</wsse:Username><wsse:Password>${PIN}</wsse:Password></wsse:UsernameToken></wsse:Security></s:Header><s:Body><wst:RequestSecurityToken><wst:Entropy><wst:BinarySecret>${ENTROPY.toString('base64')}</wst:BinarySecret></wst:Entropy></wst:RequestSecurityToken></s:Body></s:Envelope>`;
const TOKEN_RESPONSE = `<s:Envelope><s:Body><RequestSecurityTokenResponseCollection><RequestSecurityTokenResponse><RequestedSecurityToken><saml:Assertion AssertionID="SamlSecurityToken-abc">PRIVATE-ASSERTION</saml:Assertion></RequestedSecurityToken><RequestedProofToken><BinarySecret>U0VSVkVSLUVOVFJPUFk=</BinarySecret></RequestedProofToken></RequestSecurityTokenResponse></RequestSecurityTokenResponseCollection></s:Body></s:Envelope>`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bt-trace-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function everything(directory: string): string {
  return readdirSync(directory)
    .map((name) => readFileSync(join(directory, name), 'utf8'))
    .join('\n');
}

describe('--trace writer', () => {
  it('writes numbered files in order, DHCP as hex and HTTP request/response as text', () => {
    const trace = createTraceWriter(join(dir, 'run'), { redact: createRedactor([PIN]) });
    trace.dhcp('out', informPacket(8), '255.255.255.255:67');
    trace.dhcp('in', informPacket(5), '127.0.0.1:67');
    trace.http({ method: 'get', url: 'https://pool/WebTicket/WebTicketService.svc/mex', requestHeaders: { accept: 'text/xml' }, status: 200, responseHeaders: { 'content-type': 'text/xml' }, responseBody: '<wsdl/>' });
    expect(trace.files).toEqual([
      '001-dhcp-inform-out.hex',
      '002-dhcp-ack-in.hex',
      '003-http-GET-mex.request.txt',
      '003-http-GET-mex.response.txt',
    ]);
    const hex = readFileSync(join(trace.dir, '001-dhcp-inform-out.hex'), 'utf8');
    expect(hex.split('\n')[0]).toBe('01000000000000000000000000000000');
    expect(hex.replace(/\n/g, '')).toBe(Buffer.from(informPacket(8)).toString('hex'));
    const request = readFileSync(join(trace.dir, '003-http-GET-mex.request.txt'), 'utf8');
    expect(request).toBe('GET https://pool/WebTicket/WebTicketService.svc/mex\naccept: text/xml\n\n');
    const response = readFileSync(join(trace.dir, '003-http-GET-mex.response.txt'), 'utf8');
    expect(response).toBe('HTTP 200\ncontent-type: text/xml\n\n<wsdl/>');
    const index = readFileSync(join(trace.dir, 'index.txt'), 'utf8').trim().split('\n');
    expect(index).toHaveLength(4);
    expect(index[0]).toMatch(/^001-dhcp-inform-out\.hex \+\d+ms dhcp out to 255\.255\.255\.255:67 300 bytes$/);
  });

  it('never writes the PIN, the entropy, the assertion or the server entropy', () => {
    const redact = createRedactor([PIN]);
    redact.add(ENTROPY);
    const trace = createTraceWriter(dir, { redact });
    trace.http({
      method: 'POST',
      url: 'https://pool/WebTicket/WebTicketService.svc/pin',
      requestHeaders: [['SOAPAction', '"http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue"'], ['Authorization', `Basic ${Buffer.from(`7501:${PIN}`).toString('base64')}`], ['X-Echo', PIN]],
      requestBody: Buffer.from(PIN_REQUEST),
      status: 200,
      responseHeaders: { 'set-cookie': ['a=1', 'b=2'] },
      responseBody: TOKEN_RESPONSE,
    });
    trace.http({ method: 'POST', url: `https://pool/x?pin=${PIN}`, requestBody: `{"pin":"${PIN}","b64":"${Buffer.from(PIN).toString('base64')}"}`, error: `socket hang up after sending ${PIN}` });
    expect(trace.files[0]).toBe('001-http-POST-Issue.request.txt');
    const all = everything(dir);
    for (const secret of [PIN, Buffer.from(PIN).toString('base64'), ENTROPY.toString('base64'), 'PRIVATE-ASSERTION', 'U0VSVkVSLUVOVFJPUFk=']) {
      expect(all, secret).not.toContain(secret);
    }
    trace.http({ method: 'GET', url: `https://pool/users/${PIN}`, status: 404 });
    expect(readdirSync(dir).join(' ')).not.toContain(PIN);
    expect(all).toContain('<wsse:Username>7501</wsse:Username>');
    expect(all).toContain('AssertionID="SamlSecurityToken-abc"');
    expect(all).toContain('set-cookie: [REDACTED]\nset-cookie: [REDACTED]');
    expect(all).toContain('no response: socket hang up after sending [REDACTED]');
  });

  it('stores binary bodies as base64 with a marker', () => {
    const trace = createTraceWriter(dir, { redact: createRedactor() });
    trace.http({ method: 'POST', url: 'http://pool/CertProv/CertProvisioningService.svc', status: 200, responseBody: new Uint8Array([0x30, 0x82, 0x01, 0x00, 0xff]) });
    const response = readFileSync(join(dir, '001-http-POST-CertProvisioningService.svc.response.txt'), 'utf8');
    expect(response).toContain('[binary body, 5 bytes, base64]\nMIIBAP8=');
  });

  it('writes into an empty DIR, and never empties a non-empty one: a new timestamped subdirectory instead', () => {
    const first = createTraceWriter(dir, { redact: createRedactor() });
    first.dhcp('out', informPacket(), '127.0.0.1:67');
    expect(first.dir).toBe(dir);
    expect(first.notice).toBeUndefined();
    writeFileSync(join(dir, 'notes.md'), 'mine');
    const before = readdirSync(dir).sort();

    const startedAt = new Date('2025-01-02T03:04:05.678Z');
    const second = createTraceWriter(dir, { redact: createRedactor(), startedAt });
    second.dhcp('out', informPacket(), '127.0.0.1:67');
    expect(second.dir).toBe(join(dir, 'trace-20250102-030405'));
    expect(second.notice).toContain(`"${dir}" is not empty`);
    expect(second.notice).toContain(second.dir);
    expect(readdirSync(second.dir).sort()).toEqual(['001-dhcp-inform-out.hex', 'index.txt']);
    // The first run's files and the user's own file are untouched.
    expect(readdirSync(dir).sort()).toEqual([...before, 'trace-20250102-030405'].sort());
    expect(readFileSync(join(dir, 'notes.md'), 'utf8')).toBe('mine');

    const third = createTraceWriter(dir, { redact: createRedactor(), startedAt });
    expect(third.dir).toBe(join(dir, 'trace-20250102-030405-2'));
  });

  it('creates directories 0700 and files 0600 (traces hold tickets\' metadata)', () => {
    const nested = join(dir, 'a', 'b');
    const trace = createTraceWriter(nested, { redact: createRedactor() });
    trace.dhcp('out', informPacket(), '127.0.0.1:67');
    trace.http({ method: 'GET', url: 'https://pool/x', status: 200, responseBody: 'ok' });
    for (const created of [join(dir, 'a'), nested]) expect(statSync(created).mode & 0o777, created).toBe(0o700);
    const names = readdirSync(nested);
    expect(names).toHaveLength(4);
    for (const name of names) expect(statSync(join(nested, name)).mode & 0o777, name).toBe(0o600);
    writeFileSync(join(nested, 'other'), 'x');
    const again = createTraceWriter(nested, { redact: createRedactor() });
    expect(statSync(again.dir).mode & 0o777).toBe(0o700);
  });

  it('refuses a directory it cannot create or that is a file, with a UsageError naming --trace', () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    expect(() => createTraceWriter(file, { redact: createRedactor() })).toThrow(UsageError);
    expect(() => createTraceWriter(file, { redact: createRedactor() })).toThrow(/--trace: .*plain-file/);
    expect(() => createTraceWriter(join(file, 'sub'), { redact: createRedactor() })).toThrow(/--trace: cannot create directory/);
  });

  it('refuses an uncreatable directory under /proc at once (recursive mkdir would spin there)', () => {
    expect(() => createTraceWriter('/proc/bootstrap-test-trace/x', { redact: createRedactor() })).toThrow(
      /^--trace: cannot create directory "\/proc\/bootstrap-test-trace\/x": ENOENT at "\/proc\/bootstrap-test-trace"$/,
    );
  });

  it('refuses an empty value and a value that is an option', () => {
    expect(() => createTraceWriter('', { redact: createRedactor() })).toThrow(/--trace: needs a directory name/);
    expect(() => createTraceWriter('--json', { redact: createRedactor() })).toThrow(/--trace: "--json" looks like an option/);
  });

  it('names DHCP packets by message type and HTTP exchanges by SOAP action or path', () => {
    expect(dhcpMessageTypeName(informPacket(8))).toBe('inform');
    expect(dhcpMessageTypeName(new Uint8Array(10))).toBe('packet');
    expect(httpLabel('https://pool/CertProv/CertProvisioningService.svc/WebTicket_Proof', { SOAPAction: '"http://schemas.microsoft.com/OCS/AuthWebServices/GetAndPublishCert"' })).toBe('GetAndPublishCert');
    expect(httpLabel('https://pool/')).toBe('root');
  });
});
