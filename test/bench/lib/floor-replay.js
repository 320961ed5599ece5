// The floor a one-off run is measured against: the same DHCPINFORM and HTTP requests as a real run,
// pre-built as bytes (read from the plan file given as the argument), sent in the same order over
// the same number of connections, from one fresh process, with no parsing beyond finding where each
// response ends and no crypto beyond TLS itself. Exits 0 when every request got a response.

import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));

function informOnce({ host, port, bytes }) {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => reject(new Error('no DHCP answer')), 5000);
    socket.once('message', () => {
      clearTimeout(timer);
      socket.close();
      resolve();
    });
    socket.bind(0, () => socket.send(Buffer.from(bytes, 'base64'), port, host));
  });
}

/** Resolves when `received` holds one whole response (Content-Length or chunked). */
function responseComplete(received) {
  const text = received.toString('latin1');
  const headerEnd = text.indexOf('\r\n\r\n');
  if (headerEnd < 0) return false;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, headerEnd));
  if (length) return received.length >= headerEnd + 4 + Number(length[1]);
  return text.endsWith('0\r\n\r\n');
}

function exchange(socket, bytes) {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const onData = (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (responseComplete(received)) {
        socket.off('data', onData);
        resolve(received.subarray(9, 12).toString());
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(Buffer.from(bytes, 'base64'));
  });
}

function connect({ host, port, servername, secure }) {
  return new Promise((resolve, reject) => {
    const socket = secure
      ? tls.connect({ host, port, servername, rejectUnauthorized: false }, () => resolve(socket))
      : net.connect({ host, port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

await informOnce(plan.dhcp);
const sockets = new Map();
const statuses = [];
for (const request of plan.requests) {
  if (!sockets.has(request.connection.key)) sockets.set(request.connection.key, await connect(request.connection));
  statuses.push(await exchange(sockets.get(request.connection.key), request.bytes));
}
for (const socket of sockets.values()) socket.destroy();
process.stdout.write(JSON.stringify(statuses));
