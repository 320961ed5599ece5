// The whole phone bootstrap against the lab at the wire level, built with the SOAP layer's client
// builders: what a phone sends, the lab must accept; what the lab answers, a phone must read.

import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../src/lab/index.js';
import { MSUC_DEFAULT_PATH } from '../../src/dhcp/msuc.js';
import { ACTION_GET_AND_PUBLISH_CERT, ACTION_RESOLVE_USER } from '../../src/soap/namespaces.js';
import { chooseCertProvPort, choosePinPort, parseMex, soapActionFor } from '../../src/soap/services/mex.js';
import { encodingFromPolicy } from '../../src/soap/services/inferred/pin-credential.js';
import { buildRootChainRequest, parseRootChainResponse } from '../../src/soap/services/inferred/root-chain.js';
import { parseResolveUserResponse } from '../../src/soap/services/inferred/resolve-user.js';
import { buildGetAndPublishCertRequest, parseGetAndPublishCertResponse } from '../../src/soap/services/certprov.js';
import { buildProofSecurity } from '../../src/soap/proof.js';
import { call, csrFor, inform, pathOf, requestTicket, soapPost, testKeyPair } from './helpers.js';
import { buildResolveUserRequest } from '../../src/soap/services/inferred/resolve-user.js';

let lab: Lab;
const lines: string[] = [];

beforeAll(async () => {
  lab = await startLab({ log: (line) => lines.push(line) });
});
afterAll(async () => {
  await lab.stop();
});

describe('lab pool: the happy path at the wire level', () => {
  it('answers an MS-UC-Client INFORM with options 43 and 120 at the source port', async () => {
    const answers = await inform(lab);
    expect(answers).toHaveLength(1);
    const [answer] = answers;
    const packet = answer!.packet;
    expect(packet.messageType).toBe(5);
    expect(packet.header.xid).toBe(0x1234abcd);
    expect(packet.header.ciaddr).toBe('127.0.0.1');
    expect(packet.serverIdentifier).toBe('127.0.0.1');
    expect(packet.msuc?.certProvisioningUrl).toBe(`https://${lab.fqdn}:${lab.ports.https}${MSUC_DEFAULT_PATH}`);
    expect(packet.msuc?.ucIdentifier).toBe('MS-UC-Client');
    expect(packet.sipServers?.names).toEqual([lab.registrarFqdn]);
    expect([...packet.options.keys()].sort((a, b) => a - b)).toEqual([43, 53, 54, 120]);
    expect(answer!.from).toBe(`127.0.0.1:${lab.ports.dhcp}`);
  });

  it('serves the CA chain anonymously on the HTTP role as PKCS#7', async () => {
    const request = buildRootChainRequest('soap', lab.urls.certProvAnonymous);
    const reply = await call(lab, { role: 'http', method: 'POST', path: pathOf(request.url), headers: request.headers, body: request.body! });
    expect(reply.status).toBe(200);
    const chain = parseRootChainResponse({ body: reply.body, contentType: reply.headers['content-type'] });
    expect(chain.kind).toBe('chain');
    if (chain.kind !== 'chain') return;
    expect(chain.format).toBe('pkcs7');
    expect(chain.certificates).toHaveLength(1);
    expect(new X509Certificate(chain.certificates[0]!).toString()).toBe(lab.caCertificatesPem);
  });

  it('refuses plain HTTP for everything but the anonymous chain', async () => {
    const reply = await call(lab, { role: 'http', path: pathOf(lab.urls.webTicketMex) });
    expect(reply.status).toBe(403);
  });

  it('publishes a Web Ticket MEX with a PIN port whose policy carries a UsernameToken', async () => {
    const reply = await call(lab, { path: pathOf(lab.urls.webTicketMex) });
    expect(reply.status).toBe(200);
    const mex = parseMex(reply.text);
    expect(mex.ok).toBe(true);
    if (!mex.ok) return;
    expect(mex.mex.ports.map((port) => port.name)).toEqual(['WebTicketServiceWinNegotiate', 'WebTicketServicePin', 'WebTicketServiceCert', 'WsFedBearer']);
    const pin = choosePinPort(mex.mex);
    expect(pin.ok && pin.port.address).toBe(lab.urls.webTicketPin);
    expect(pin.ok && pin.policy?.usernameToken).toBeTruthy();
    // A plain sp:UsernameToken says nothing about encoding: the client keeps its option or the default.
    expect(encodingFromPolicy(pin.ok ? pin.policy : undefined).encoding).toBeUndefined();
  });

  it('publishes a CertProv MEX naming the WebTicketProof port, its endorsing policy and actions', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const reply = await call(lab, { method, path: pathOf(lab.urls.certProvMex), ...(method === 'POST' ? { body: '' } : {}) });
      expect(reply.status).toBe(200);
      const mex = parseMex(reply.text);
      if (!mex.ok) throw new Error(mex.reason);
      const port = chooseCertProvPort(mex.mex);
      if (!port.ok) throw new Error(port.reason);
      expect(port.port.name).toBe('CertProvisioningServiceWebTicketProof_SHA1');
      expect(port.port.address).toBe(lab.urls.webTicketProof);
      expect(port.endorsing).toBe(true);
      expect(port.issuerAddress).toBe(lab.urls.webTicket);
      expect(port.policy?.id).toBe('CertProvisioningServiceWebTicketProof_SHA1_policy');
      expect(soapActionFor(mex.mex, port.port.name, 'ResolveUser')?.action).toBe(ACTION_RESOLVE_USER);
      expect(soapActionFor(mex.mex, port.port.name, 'GetAndPublishCert')?.action).toBe(ACTION_GET_AND_PUBLISH_CERT);
    }
  });

  it('issues a ticket for extension + PIN, resolves the user, issues a second ticket and a certificate', async () => {
    const first = await requestTicket(lab);
    expect(first.reply.status).toBe(200);
    expect(first.ticket).toBeDefined();
    const ticket = first.ticket!;
    expect(ticket.assertionId).toMatch(/^SamlSecurityToken-/);
    expect(new Date(ticket.expires).getTime() - new Date(ticket.created).getTime()).toBe(8 * 3_600_000);
    expect(ticket.assertionXml).toContain(lab.sampleUser.sipUri);

    const resolve = buildResolveUserRequest({
      to: lab.urls.webTicketProof,
      security: buildProofSecurity(ticket, first.proofKey),
      shape: 'empty',
      phoneOrExt: lab.sampleUser.phoneOrExt,
    });
    const resolved = await soapPost(lab, pathOf(lab.urls.webTicketProof), resolve.xml, resolve.soapAction);
    expect(resolved.status).toBe(200);
    const user = parseResolveUserResponse(resolved.text);
    expect(user).toMatchObject({ kind: 'user', sipUri: lab.sampleUser.sipUri });

    const second = await requestTicket(lab, { sipUri: lab.sampleUser.sipUri, appliesTo: lab.urls.webTicketProof });
    expect(second.ticket).toBeDefined();
    const entity = lab.sampleUser.sipUri.replace(/^sip:/, '');
    const request = buildGetAndPublishCertRequest({
      to: lab.urls.webTicketProof,
      security: buildProofSecurity(second.ticket!, second.proofKey),
      entity,
      csrDer: csrFor(entity),
    });
    const before = Date.now();
    const reply = await soapPost(lab, pathOf(lab.urls.webTicketProof), request.xml, request.soapAction);
    expect(reply.status).toBe(200);
    const answer = parseGetAndPublishCertResponse(reply.text);
    expect(answer.kind).toBe('certificate');
    if (answer.kind !== 'certificate') return;
    const certificate = new X509Certificate(answer.certificateDer);
    expect(certificate.subject).toBe(`CN=${entity}`);
    expect(certificate.publicKey.export({ type: 'spki', format: 'der' })).toEqual(testKeyPair().publicKey.export({ type: 'spki', format: 'der' }));
    expect(certificate.checkIssued(new X509Certificate(lab.caCertificatesPem))).toBe(true);
    expect(certificate.verify(new X509Certificate(lab.caCertificatesPem).publicKey)).toBe(true);
    const validFrom = new Date(certificate.validFrom).getTime();
    expect(Math.abs(validFrom - before)).toBeLessThan(5_000);
    expect(new Date(certificate.validTo).getTime() - validFrom).toBe(4320 * 3_600_000);
    expect(answer.chain?.map((der) => new X509Certificate(der).toString())).toEqual([lab.caCertificatesPem]);

    expect(lab.stats).toMatchObject({ ticketsIssued: 2, certificatesIssued: 1, resolveUserCalls: 1, pinFailures: 0 });
  });

  it('logs one line per request and never the PIN or the entropy', () => {
    expect(lines.some((line) => line.includes('IssueToken -> 200 ticket for sip:phone.test@'))).toBe(true);
    expect(lines.some((line) => line.startsWith('lab dhcp  INFORM from 127.0.0.1:'))).toBe(true);
    for (const line of lines) {
      expect(line).not.toContain(lab.sampleUser.pin!);
      expect(line).not.toMatch(/[A-Za-z0-9+/]{40,}={0,2}/);
    }
  });
});
