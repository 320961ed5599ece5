import { describe, expect, test } from 'vitest';
import { decodeMsUcVendorInfo, encodeMsUcVendorInfo, encodeSubOptions, msUcSubOptions } from '../../src/dhcp/msuc.js';
import type { Problem } from '../../src/dhcp/types.js';
import { SCHERTZ_URL, ascii, bytes, concat, schertzSubOptions, tlv } from './helpers.js';

const codes = (problems: Problem[]) => problems.map((p) => `${p.severity}:${p.code}`);
const standard = () => encodeSubOptions(schertzSubOptions());
const sub = (code: number, text: string | Uint8Array) => tlv(code, typeof text === 'string' ? ascii(text) : text);
const withPort = (port: Uint8Array | string) =>
  concat(sub(1, 'MS-UC-Client'), sub(2, 'https'), sub(3, 'lync.schertz.local'), sub(4, port), sub(5, '/CertProv/CertProvisioningService.svc'));

describe('c.4 option 43 (MS-UC-Client sub-options)', () => {
  test('the standard value decodes to the URL with no problems', () => {
    const info = decodeMsUcVendorInfo(standard());
    expect(info.certProvisioningUrl).toBe(SCHERTZ_URL);
    expect(info).toMatchObject({ ucIdentifier: 'MS-UC-Client', urlScheme: 'https', webServerFqdn: 'lync.schertz.local', webServerPort: 443, endSeen: false });
    expect(info.problems).toEqual([]);
  });

  test('reverse and random order: keyed by code', () => {
    const list = schertzSubOptions();
    for (const order of [[4, 3, 2, 1, 0], [2, 0, 4, 1, 3]]) {
      const info = decodeMsUcVendorInfo(encodeSubOptions(order.map((i) => list[i]!)));
      expect(info.certProvisioningUrl).toBe(SCHERTZ_URL);
      expect(info.problems).toEqual([]);
    }
  });

  test('END inside: end of list; END followed by non-PAD bytes warns; PAD after END is fine', () => {
    expect(decodeMsUcVendorInfo(concat(standard(), bytes(255, 0, 0))).problems).toEqual([]);
    const info = decodeMsUcVendorInfo(concat(standard(), bytes(255, 7, 1, 0x41)));
    expect(info.endSeen).toBe(true);
    expect(info.certProvisioningUrl).toBe(SCHERTZ_URL);
    expect(codes(info.problems)).toEqual(['warn:msuc-data-after-end']);
    expect(info.subOptions.some((s) => s.code === 7)).toBe(false);
  });

  test('PAD between sub-options is ignored', () => {
    const list = schertzSubOptions();
    const value = concat(bytes(0), ...list.map((s) => concat(encodeSubOptions([s]), bytes(0, 0))));
    const info = decodeMsUcVendorInfo(value);
    expect(info.certProvisioningUrl).toBe(SCHERTZ_URL);
    expect(info.problems).toEqual([]);
  });

  test('unknown sub-options (220 NAP, 10) are kept, no failure', () => {
    const info = decodeMsUcVendorInfo(concat(sub(220, 'NAP'), standard(), sub(10, bytes(1, 2))));
    expect(info.subOptions.map((s) => s.code)).toEqual([220, 1, 2, 3, 4, 5, 10]);
    expect(info.certProvisioningUrl).toBe(SCHERTZ_URL);
    expect(info.problems).toEqual([]);
  });

  test('the same sub-option twice: concatenated, warned naming the code', () => {
    const value = concat(sub(1, 'MS-UC-Client'), sub(2, 'https'), sub(3, 'lync.sch'), sub(4, '443'), sub(3, 'ertz.local'), sub(5, '/CertProv/CertProvisioningService.svc'));
    const info = decodeMsUcVendorInfo(value);
    expect(info.webServerFqdn).toBe('lync.schertz.local');
    expect(info.certProvisioningUrl).toBe(SCHERTZ_URL);
    expect(info.problems).toMatchObject([{ severity: 'warn', code: 'msuc-repeated-suboption', subOption: 3 }]);
  });

  test('a sub-option running past the end: "option 43 damaged at offset O", earlier ones kept', () => {
    const value = concat(sub(1, 'MS-UC-Client'), sub(2, 'https'), bytes(3, 40, 0x6c, 0x79));
    const info = decodeMsUcVendorInfo(value);
    expect(info.subOptions.map((s) => s.code)).toEqual([1, 2]);
    const damaged = info.problems.find((p) => p.code === 'msuc-damaged')!;
    expect(damaged).toMatchObject({ severity: 'error', offset: 21 });
    expect(damaged.message).toContain('option 43 damaged at offset 21');
    expect(info.certProvisioningUrl).toBeUndefined();
  });

  test('not a sub-option list (a URL typed as text): error showing the text', () => {
    const info = decodeMsUcVendorInfo(ascii(SCHERTZ_URL));
    expect(codes(info.problems)).toEqual(['error:msuc-not-suboptions']);
    expect(info.problems[0]!.message).toContain('option 43 is not MS-UC-Client sub-options');
    expect(info.problems[0]!.message).toContain(SCHERTZ_URL);
  });

  test('sub-option 2, 3, 4 or 5 missing: error naming it, no URL', () => {
    for (const missing of [2, 3, 4, 5]) {
      const info = decodeMsUcVendorInfo(encodeSubOptions(schertzSubOptions().filter((s) => s.code !== missing)));
      expect(info.certProvisioningUrl).toBeUndefined();
      const problem = info.problems.find((p) => p.code === 'msuc-missing-suboption')!;
      expect(problem.subOption).toBe(missing);
      expect(problem.severity).toBe('error');
      expect(problem.message).toContain(`no sub-option ${missing}`);
    }
  });

  test('only unknown sub-options: error with the option 57 hint', () => {
    const info = decodeMsUcVendorInfo(concat(sub(220, 'NAP'), sub(99, 'x')));
    expect(codes(info.problems)).toEqual(['error:msuc-no-known-suboptions']);
    expect(info.problems[0]!.message).toContain('option 57');
  });

  test('port as binary 01 bb: error "port is binary, not text" with the dnsmasq hint', () => {
    const info = decodeMsUcVendorInfo(withPort(bytes(0x01, 0xbb)));
    const problem = info.problems.find((p) => p.code === 'msuc-port-binary')!;
    expect(problem.severity).toBe('error');
    expect(problem.message).toContain('port is binary, not text');
    expect(problem.message).toContain('= 443');
    expect(problem.message).toContain('dnsmasq');
    expect(info.certProvisioningUrl).toBeUndefined();
  });

  test('port with spaces, a sign, or out of range: error naming the value; leading zeros warn', () => {
    for (const bad of [' 443', '+443', '-1', '0', '65536', '44 3']) {
      const info = decodeMsUcVendorInfo(withPort(bad));
      expect(info.webServerPort, bad).toBeUndefined();
      expect(info.problems.some((p) => p.severity === 'error' && p.subOption === 4 && p.message.includes(`"${bad}"`)), bad).toBe(true);
    }
    const zeros = decodeMsUcVendorInfo(withPort('0443'));
    expect(zeros.webServerPort).toBe(443);
    expect(codes(zeros.problems)).toEqual(['warn:msuc-port-leading-zero']);
    expect(zeros.certProvisioningUrl).toBe(SCHERTZ_URL);
  });

  test('trailing NUL: warn and strip; other control or non-ASCII bytes: error for that sub-option', () => {
    const nul = decodeMsUcVendorInfo(concat(sub(1, 'MS-UC-Client\0'), sub(2, 'https'), sub(3, 'lync.schertz.local\0\0'), sub(4, '443'), sub(5, '/CertProv/CertProvisioningService.svc')));
    expect(nul.certProvisioningUrl).toBe(SCHERTZ_URL);
    expect(codes(nul.problems)).toEqual(['warn:msuc-trailing-nul', 'warn:msuc-trailing-nul']);
    const control = decodeMsUcVendorInfo(concat(sub(1, 'MS-UC-Client'), sub(2, 'https'), sub(3, 'lync\x07schertz.local'), sub(4, '443'), sub(5, '/x')));
    expect(control.problems.find((p) => p.code === 'msuc-not-text')?.subOption).toBe(3);
    expect(control.certProvisioningUrl).toBeUndefined();
    const nonAscii = decodeMsUcVendorInfo(concat(sub(2, 'https'), sub(3, ascii('lync.sch\u00e9rtz')), sub(4, '443'), sub(5, '/x')));
    expect(nonAscii.problems.some((p) => p.code === 'msuc-not-text' && p.subOption === 3)).toBe(true);
  });

  test('sub-option 1 not MS-UC-Client: warn; scheme not https: warn (URL still built)', () => {
    const value = concat(sub(1, 'Other-Vendor'), sub(2, 'http'), sub(3, 'lync.schertz.local'), sub(4, '80'), sub(5, '/CertProv/CertProvisioningService.svc'));
    const info = decodeMsUcVendorInfo(value);
    expect(codes(info.problems)).toEqual(['warn:msuc-identifier-mismatch', 'warn:msuc-scheme-not-https']);
    expect(info.certProvisioningUrl).toBe('http://lync.schertz.local:80/CertProv/CertProvisioningService.svc');
  });

  test('path without leading /: error, no URL', () => {
    const info = decodeMsUcVendorInfo(concat(sub(1, 'MS-UC-Client'), sub(2, 'https'), sub(3, 'lync.schertz.local'), sub(4, '443'), sub(5, 'CertProv/CertProvisioningService.svc')));
    expect(codes(info.problems)).toEqual(['error:msuc-path-not-absolute']);
    expect(info.certProvisioningUrl).toBeUndefined();
  });

  test('empty sub-option (length 0) counts as missing', () => {
    const info = decodeMsUcVendorInfo(concat(sub(1, 'MS-UC-Client'), sub(2, 'https'), sub(3, ''), sub(4, '443'), sub(5, '/x')));
    const problem = info.problems.find((p) => p.code === 'msuc-missing-suboption')!;
    expect(problem.subOption).toBe(3);
    expect(problem.message).toContain('empty');
  });

  test('encoder writes 1..5 then extras (220 NAP) as in the Windows NAP vector', () => {
    const value = encodeMsUcVendorInfo({ webServerFqdn: 'lync.schertz.local', extra: [{ code: 220, data: 'NAP' }] });
    expect(Buffer.from(value).toString('hex').toUpperCase()).toBe(
      '010C4D532D55432D436C69656E740205687474707303126C796E632E7363686572747A2E6C6F63616C040334343305252F4365727450726F762F4365727450726F766973696F6E696E67536572766963652E737663DC034E4150',
    );
    expect(() => encodeSubOptions([{ code: 3, data: new Uint8Array(256) }])).toThrow(RangeError);
    expect(msUcSubOptions({ webServerFqdn: 'a.b', webServerPort: 8443 }).map((s) => s.code)).toEqual([1, 2, 3, 4, 5]);
  });
});
