// Endpoint id → `+sip.instance` ([MS-SIPAE] 3.3.5.2: the registrar checks that the instance was derived
// from the epid). A name-based (version 5) UUID over a fixed namespace, laid out as a Windows GUID:
// the namespace is hashed in GUID (little-endian) byte order and the first three fields are read back
// little-endian. Checked against the three example REGISTERs of [MS-SIPAE] 4.1, 4.2 and 4.5.

import { createHash, randomBytes } from 'node:crypto';

const EPID_NAMESPACE_GUID_BYTES = guidToBytes('fcacfb03-8a73-46ef-91b1-e5ebeeaba4fe');

function guidToBytes(guid: string): Buffer {
  const hex = Buffer.from(guid.replace(/-/g, ''), 'hex');
  const bytes = Buffer.from(hex);
  bytes.writeUInt32LE(hex.readUInt32BE(0), 0);
  bytes.writeUInt16LE(hex.readUInt16BE(4), 4);
  bytes.writeUInt16LE(hex.readUInt16BE(6), 6);
  return bytes;
}

/** `8248ca9ebb` → `4233FD41-093B-5FD6-B5D2-651ED55969E6` (upper case, as the spec examples print it). */
export function sipInstanceFromEpid(epid: string): string {
  const hash = createHash('sha1').update(EPID_NAMESPACE_GUID_BYTES).update(epid, 'ascii').digest();
  const data1 = hash.readUInt32LE(0);
  const data2 = hash.readUInt16LE(4);
  const data3 = (hash.readUInt16LE(6) & 0x0fff) | 0x5000;
  const clock = Buffer.from(hash.subarray(8, 16));
  clock[0] = ((clock[0] as number) & 0x3f) | 0x80;
  const hex = (value: number, digits: number): string => value.toString(16).padStart(digits, '0');
  return `${hex(data1, 8)}-${hex(data2, 4)}-${hex(data3, 4)}-${clock.subarray(0, 2).toString('hex')}-${clock.subarray(2).toString('hex')}`.toUpperCase();
}

/** The Contact parameter value: `"<urn:uuid:…>"`. */
export function sipInstanceParam(epid: string): string {
  return `"<urn:uuid:${sipInstanceFromEpid(epid)}>"`;
}

/** A fresh 10-hex-digit endpoint id, the length Lync clients use. */
export function newEpid(): string {
  return randomBytes(5).toString('hex');
}
