// A server that answers the root-chain download with broken HTTP (a 100 KiB header, bad chunked
// encoding, bytes that are not HTTP at all) is a failure of that stage with a diagnosis and exit 1,
// never "internal error" and exit 3. Runs the built command (needs `npm run build`) against raw
// sockets on 127.0.0.1.

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type Ran } from '../helpers/cli.js';

const FQDN = 'pool.hostile.test';

/** What each hostile server writes once it has read a request's headers. */
const ANSWERS: Record<string, string> = {
  'a 100 KiB response header': `HTTP/1.1 200 OK\r\nX-Padding: ${'a'.repeat(100 * 1024)}\r\nContent-Length: 0\r\n\r\n`,
  'an invalid chunk size': 'HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n<a/>\r\n0\r\n\r\n',
  'bytes that are not HTTP': 'SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\r\n',
};

function run(args: string[], env: Record<string, string>): Promise<Ran> {
  return runCli(args, { env });
}

function hostileServer(answer: string): Promise<Server> {
  const server = createServer((socket: Socket) => {
    let head = '';
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      if (head.includes('\r\n\r\n')) socket.end(answer);
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolvePromise) => server.listen(0, '127.0.0.1', () => resolvePromise(server)));
}

const servers = new Map<string, Server>();
beforeAll(async () => {
  for (const [what, answer] of Object.entries(ANSWERS)) servers.set(what, await hostileServer(answer));
});
afterAll(() => {
  for (const server of servers.values()) server.close();
});

interface JsonRun {
  summary: { result: string; failedStage: string | null };
  stages: Array<{ name: string; status: string; error: { observation: string; message: string } | null; diagnosis: { id: string } | null }>;
}

describe('a server that answers with broken HTTP', () => {
  for (const what of Object.keys(ANSWERS)) {
    it(`fails the rootchain stage with http-response-malformed and exit 1 for ${what}`, async () => {
      const port = (servers.get(what)!.address() as AddressInfo).port;
      const ran = await run(
        [
          '--ext', '7501',
          '--target-uri', `https://${FQDN}/CertProv/CertProvisioningService.svc`,
          '--target-fqdn', FQDN,
          '--resolve', `${FQDN}:80=127.0.0.1:${port}`,
          '--json',
        ],
        { BOOTSTRAP_TEST_PIN: '24680' },
      );
      expect(ran.stderr).not.toContain('internal error');
      expect(ran.code).toBe(1);
      const report = JSON.parse(ran.stdout) as JsonRun;
      expect(report.summary.result).toBe('Failure');
      expect(report.summary.failedStage).toBe('rootchain');
      const rootchain = report.stages.find((stage) => stage.name === 'rootchain');
      expect(rootchain?.status).toBe('fail');
      expect(rootchain?.diagnosis?.id).toBe('http-response-malformed');
      expect(rootchain?.error?.message).toContain(FQDN);
      // The server's 100 KiB header is not echoed back into the report.
      expect(ran.stdout.length).toBeLessThan(20_000);
    });
  }
});
