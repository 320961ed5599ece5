import { BootstrapTestError } from '../errors.js';
// `gssapi-data` in TLS-DSK carries whole TLS records (5-byte headers included), base64 with padding.
// These helpers frame and inspect those records without decrypting anything.

const RECORD_HEADER = 5;
const CONTENT_CHANGE_CIPHER_SPEC = 20;
const CONTENT_ALERT = 21;
const CONTENT_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const HANDSHAKE_SERVER_HELLO_DONE = 14;

export class GssapiDataError extends BootstrapTestError {
  constructor(message: string) {
    super('BT_TLS_DSK_GSSAPI_DATA', message);
  }
}

export function encodeGssapiData(records: Buffer): string {
  return records.toString('base64');
}

/** Strict decode: Node's base64 reader skips junk silently, which would hide a damaged token. */
export function decodeGssapiData(text: string): Buffer {
  if (text.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new GssapiDataError(`gssapi-data is not padded base64 (${text.length} characters)`);
  }
  const bytes = Buffer.from(text, 'base64');
  const records = splitTlsRecords(bytes);
  if (records.incomplete) throw new GssapiDataError(`gssapi-data ends inside a TLS record (${bytes.length} bytes)`);
  return bytes;
}

export interface TlsRecordView {
  type: number;
  /** Record-layer version, e.g. 0x0301 for TLS 1.0. */
  version: number;
  fragment: Buffer;
}

/** Whole records in `bytes`, and whether a partial record follows them. */
export function splitTlsRecords(bytes: Buffer): { records: TlsRecordView[]; incomplete: boolean } {
  const records: TlsRecordView[] = [];
  let offset = 0;
  while (offset + RECORD_HEADER <= bytes.length) {
    const length = bytes.readUInt16BE(offset + 3);
    if (offset + RECORD_HEADER + length > bytes.length) break;
    records.push({ type: bytes[offset] as number, version: bytes.readUInt16BE(offset + 1), fragment: bytes.subarray(offset + RECORD_HEADER, offset + RECORD_HEADER + length) });
    offset += RECORD_HEADER + length;
  }
  return { records, incomplete: offset !== bytes.length };
}

/** Handshake message types inside a plaintext handshake record. */
function handshakeTypes(fragment: Buffer): number[] {
  const types: number[] = [];
  for (let offset = 0; offset + 4 <= fragment.length; offset += 4 + fragment.readUIntBE(offset + 1, 3)) types.push(fragment[offset] as number);
  return types;
}

/**
 * True when `bytes` (everything written since the last flight) is one whole TLS-DSK flight: it ends
 * in a ClientHello or ServerHelloDone, or one record has followed a ChangeCipherSpec (the encrypted
 * Finished), or it holds an alert. Flight ends come from the records, never from timers.
 */
export function isCompleteFlight(bytes: Buffer): boolean {
  const { records, incomplete } = splitTlsRecords(bytes);
  if (incomplete) return false;
  let afterChangeCipherSpec = false;
  for (const record of records) {
    if (record.type === CONTENT_ALERT) return true;
    if (afterChangeCipherSpec) return true;
    if (record.type === CONTENT_CHANGE_CIPHER_SPEC) afterChangeCipherSpec = true;
    else if (record.type === CONTENT_HANDSHAKE) {
      const types = handshakeTypes(record.fragment);
      if (types.includes(HANDSHAKE_CLIENT_HELLO) || types.includes(HANDSHAKE_SERVER_HELLO_DONE)) return true;
    }
  }
  return false;
}

/**
 * The first plaintext alert in a token, as (level, description). An alert after ChangeCipherSpec is
 * encrypted: its presence is reported with description undefined.
 */
export function findAlert(bytes: Buffer): { level?: number; description?: number } | undefined {
  let encrypted = false;
  for (const record of splitTlsRecords(bytes).records) {
    if (record.type === CONTENT_CHANGE_CIPHER_SPEC) encrypted = true;
    if (record.type !== CONTENT_ALERT) continue;
    if (encrypted || record.fragment.length !== 2) return {};
    return { level: record.fragment[0] as number, description: record.fragment[1] as number };
  }
  return undefined;
}
