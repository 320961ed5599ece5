// A loopback UDP responder: one datagram in, at most one datagram back. The lab's SNTP and DNS
// responders are this plus their pure answer functions.

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export interface UdpResponder {
  port: number;
  close(): Promise<void>;
}

/** `answer` returns undefined to stay silent (a fault, or a datagram not worth answering). */
export async function startUdpResponder(host: string, port: number, answer: (request: Buffer, from: RemoteInfo) => Buffer | undefined): Promise<UdpResponder> {
  const socket: Socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
  socket.on('message', (request, from) => {
    const reply = answer(request, from);
    if (reply) socket.send(reply, from.port, from.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return {
    port: socket.address().port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
