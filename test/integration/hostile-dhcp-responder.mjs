// A hostile DHCP responder for test/integration/dhcp-hostile.test.ts, in its own process so that its
// floods compete with the client for the CPU and the socket buffers as a real attacker's would, not
// for the client's event loop. Listens on 127.0.0.1 (ephemeral port, printed as "port N" on stdout)
// and answers every request it receives with the attack named on the command line.
// Usage: node hostile-dhcp-responder.mjs ATTACK [COUNT]
// Bytes are built here by hand on purpose: the attacks are the malformations the codec must survive.

import { createSocket } from 'node:dgram';

const MAX_UDP_PAYLOAD = 65507;
const [attack = 'nak', countText = '1'] = process.argv.slice(2);
const count = Number(countText);

/** A reply header answering `request`: op 2, the request's xid (or `xid`), chaddr, magic cookie. */
function header(request, size, xid) {
  const out = new Uint8Array(size);
  out.set(request.subarray(0, 236));
  out[0] = 2;
  if (xid !== undefined) new DataView(out.buffer).setUint32(4, xid);
  out.set([0x63, 0x82, 0x53, 0x63], 236);
  return out;
}

function ascii(text) {
  return Array.from(text, (c) => c.charCodeAt(0));
}

/** Option 43 sub-options 1..5 for a URL on a closed loopback port (the stages after DHCP fail fast). */
function msuc() {
  const subs = [[1, 'MS-UC-Client'], [2, 'https'], [3, '127.0.0.1'], [4, '9'], [5, '/CertProv/CertProvisioningService.svc']];
  return subs.flatMap(([code, text]) => [code, text.length, ...ascii(text)]);
}

function option43() {
  const value = msuc();
  return [43, value.length, ...value];
}

function withOptions(request, options, xid) {
  const bytes = options.flat();
  const out = header(request, 240 + bytes.length + 1, xid);
  out.set(bytes, 240);
  out[out.length - 1] = 255;
  return out;
}

/** 64 KiB of option 43 in one-byte pieces spelling thousands of repeated sub-options. */
function worstCase(request, xid) {
  const out = header(request, MAX_UDP_PAYLOAD, xid);
  out.set([53, 1, 5, 54, 4, 127, 0, 0, 1], 240);
  let at = 249;
  const pattern = [43, 1, 1, 43, 1, 0];
  while (at + pattern.length < out.length) {
    out.set(pattern, at);
    at += pattern.length;
  }
  out[at] = 255;
  return out;
}

function garbage(index) {
  let state = (index * 2654435761) >>> 0;
  const length = 1 + (state % MAX_UDP_PAYLOAD);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

function reply(request, index) {
  const ours = new DataView(request.buffer, request.byteOffset).getUint32(4);
  switch (attack) {
    case 'wrong-xid':
      return worstCase(request, (ours ^ (index + 1)) >>> 0);
    case 'garbage':
      return garbage(index);
    case 'nak':
      return withOptions(request, [[53, 1, 6], [54, 4, 127, 0, 0, 1], [56, 13, ...ascii('wrong network')]]);
    case 'worst-case':
      return worstCase(request);
    case 'ack-flood':
      // Every ACK claims to be another server, so none is a duplicate of an earlier one.
      return withOptions(request, [[53, 1, 5], [54, 4, 10, (index >> 16) & 255, (index >> 8) & 255, index & 255], option43(), [120, 4, 0, 1, 0x41, 0]]);
    case 'pointer-loop':
      // Option 120: encoding 0, then the label "A" followed by a compression pointer back to "A".
      return withOptions(request, [[53, 1, 5], [54, 4, 127, 0, 0, 1], option43(), [120, 5, 0, 1, 0x41, 0xc0, 0x00]]);
    default:
      throw new Error(`unknown attack ${attack}`);
  }
}

const socket = createSocket('udp4');
socket.on('message', async (message, remote) => {
  const request = new Uint8Array(message);
  for (let i = 0; i < count; i++) {
    // Wait for the kernel every few datagrams so the process does not queue gigabytes in user space.
    const sent = new Promise((resolve) => socket.send(reply(request, i), remote.port, remote.address, () => resolve()));
    if (i % 32 === 31) await sent;
  }
});
socket.bind(0, '127.0.0.1', () => {
  process.stdout.write(`port ${socket.address().port}\n`);
});
