// Issue 9, item 1: metadata that publishes the PIN port and the WebTicketProof port as http:// (a WCF
// service behind a TLS-offloading load balancer) must never make the PIN or a ticket travel in clear
// text. The published addresses point at a plain-HTTP listener of the test that records every byte
// it receives; the run must either succeed over https (the addresses moved to the metadata's own
// https origin) or fail with webticket-pin-port-not-https, and the listener must never see the PIN.

import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeForRun } from '../../src/cli/bootstrap-run.js';
import { EXIT } from '../../src/exit-codes.js';
import { runAgainst, withLab } from './helpers.js';

const FQDN = 'pool01.pin-port.test';
const PIN_PATH = '/WebTicket/WebTicketService.svc/Pin';
const PROOF_PATH = '/CertProv/CertProvisioningService.svc/WebTicket_Proof';

/** A plain TCP listener on loopback that keeps every byte any client sends it and never answers. */
interface Recorder {
  port: number;
  received: () => Buffer;
  connections: () => number;
  close: () => Promise<void>;
}

async function startRecorder(): Promise<Recorder> {
  const chunks: Buffer[] = [];
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections += 1;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    // Closing at once keeps a faulty client from waiting on its deadline; the bytes are already counted.
    socket.setTimeout(200, () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received: () => Buffer.concat(chunks),
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function containsPin(bytes: Buffer, pin: string): boolean {
  const text = bytes.toString('latin1');
  return text.includes(pin) || text.includes(Buffer.from(pin).toString('base64'));
}

describe('an http:// PIN port in the Web Ticket metadata', () => {
  let recorder: Recorder;
  beforeAll(async () => {
    recorder = await startRecorder();
  });
  afterAll(async () => {
    await recorder.close();
  });

  it('sends the PIN and the tickets over https to the metadata origin and never to the plain-HTTP addresses', async () => {
    const published = `http://${FQDN}:${recorder.port}${PIN_PATH}?via=offload`;
    const publishedProof = `http://${FQDN}:${recorder.port}${PROOF_PATH}`;
    await withLab({ fqdn: FQDN, publishedAddresses: { webTicketPin: published, webTicketProof: publishedProof } }, async (lab) => {
      const pinValue = lab.sampleUser.pin ?? '';
      expect(pinValue.length).toBeGreaterThan(0);
      const { result, pin } = await runAgainst(lab);

      expect(recorder.connections()).toBe(0);
      expect(recorder.received().length).toBe(0);
      expect(containsPin(recorder.received(), pinValue)).toBe(false);

      const stages = Object.fromEntries(result.report.stages.map((stage) => [stage.name, stage]));
      expect(result.report.result, JSON.stringify(result.report.stages.map((s) => [s.name, s.status, s.summary]))).toBe('Success');
      const rewritten = `https://${FQDN}:${lab.ports.https}${PIN_PATH}?via=offload`;
      expect(stages.webticket?.evidence.url).toBe(rewritten);
      // Both tickets went out, both over the rewritten address.
      expect(pin.uses).toBe(2);
      const warning = result.log.find((line) => line.kind === 'warn' && line.text.includes(published));
      expect(warning?.text).toContain(rewritten);
      expect(stages.webticket?.notes.some((note) => note.includes(rewritten))).toBe(true);
      // The ticket-carrying calls went to the proof port on the https origin as well.
      const proofUrl = `https://${FQDN}:${lab.ports.https}${PROOF_PATH}`;
      expect(stages['certprov-mex']?.evidence).toMatchObject({ address: publishedProof, url: proofUrl });
      expect(stages.resolveuser?.evidence.url).toBe(proofUrl);
      expect(stages.certificate?.evidence.url).toBe(proofUrl);
      expect(result.log.some((line) => line.kind === 'warn' && line.text.includes(publishedProof) && line.text.includes(proofUrl))).toBe(true);
    });
  });

  it('refuses a PIN port that is neither http nor https, with its own diagnosis, without sending the PIN', async () => {
    const published = `ftp://${FQDN}:${recorder.port}${PIN_PATH}`;
    await withLab({ fqdn: FQDN, publishedAddresses: { webTicketPin: published } }, async (lab) => {
      const { result, pin } = await runAgainst(lab);
      const webticket = result.report.stages.find((stage) => stage.name === 'webticket');
      expect(result.report.result).toBe('Failure');
      expect(webticket?.status).toBe('fail');
      expect(webticket?.diagnosis?.id).toBe('webticket-pin-port-not-https');
      expect(exitCodeForRun(result.report)).toBe(EXIT.failed);
      expect(EXIT.failed).toBe(1);
      expect(result.internalError).toBeUndefined();
      // Refused before any connection: the PIN is not used up, and neither the lab nor the recorder heard it.
      expect(pin.rejected).toBe(false);
      expect(lab.stats.pinFailures).toBe(0);
      expect(lab.stats.ticketsIssued).toBe(0);
      expect(Object.keys(lab.stats.requests.byPath).filter((path) => path.includes(PIN_PATH))).toEqual([]);
      expect(recorder.connections()).toBe(0);
    });
  });
});
