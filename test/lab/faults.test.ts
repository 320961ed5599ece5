// Every fault of the catalogue, observed directly at the DHCP/HTTP/TLS level: the lab must really
// produce the condition the catalogue promises, independently of the client pipeline.

import { X509Certificate } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_FAULTS, startLab, type Lab, type LabFaultName } from '../../src/lab/index.js';
import { FaultSet, parseFaultSpec } from '../../src/lab/faults.js';
import { parseMsDiagnostics, parseEnvelope } from '../../src/soap/envelope.js';
import { ACTION_GET_AND_PUBLISH_CERT, ACTION_RESOLVE_USER, OCS_AUTH } from '../../src/soap/namespaces.js';
import { chooseCertProvPort, choosePinPort, parseMex } from '../../src/soap/services/mex.js';
import { buildRootChainRequest, parseRootChainResponse } from '../../src/soap/services/inferred/root-chain.js';
import { parseResolveUserResponse } from '../../src/soap/services/inferred/resolve-user.js';
import { buildGetAndPublishCertRequest, parseGetAndPublishCertResponse } from '../../src/soap/services/certprov.js';
import { parseIssueTokenResponse, type WebTicket } from '../../src/soap/services/webticket.js';
import { buildProofSecurity } from '../../src/soap/proof.js';
import { parseXml } from '../../src/soap/xml.js';
import { signInFaultChecks } from './sign-in-checks.js';
import { call, csrFor, inform, pathOf, proofEnvelope, requestTicket, soapPost, testKeyPair, type Reply } from './helpers.js';

let lab: Lab;

beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab.stop();
});

async function withFaults<T>(faults: string[], body: () => Promise<T>): Promise<T> {
  await lab.setFaults(faults);
  try {
    return await body();
  } finally {
    await lab.setFaults([]);
  }
}

const header = (fault: string): Record<string, string> => ({ 'x-lab-fault': fault });

function rootChainCall(extra: Record<string, string> = {}): Promise<Reply> {
  const request = buildRootChainRequest('soap', lab.urls.certProvAnonymous);
  return call(lab, { role: 'http', method: 'POST', path: pathOf(request.url), headers: { ...request.headers, ...extra }, body: request.body! });
}

async function ticketFor(extra: Record<string, string> = {}) {
  const result = await requestTicket(lab, { headers: extra });
  return result;
}

async function resolveUser(extra: Record<string, string> = {}): Promise<Reply> {
  const { ticket, proofKey } = await requestTicket(lab);
  const xml = proofEnvelope(lab, ACTION_RESOLVE_USER, `<ResolveUser xmlns="${OCS_AUTH}"/>`, ticket!, proofKey);
  return soapPost(lab, pathOf(lab.urls.webTicketProof), xml, `"${ACTION_RESOLVE_USER}"`, { headers: extra });
}

async function resolveUserWith(ticket: WebTicket, proofKey: Buffer): Promise<Reply> {
  const xml = proofEnvelope(lab, ACTION_RESOLVE_USER, `<ResolveUser xmlns="${OCS_AUTH}"/>`, ticket, proofKey);
  return soapPost(lab, pathOf(lab.urls.webTicketProof), xml, `"${ACTION_RESOLVE_USER}"`);
}

async function getCertificate(extra: Record<string, string> = {}): Promise<Reply> {
  const { ticket, proofKey } = await requestTicket(lab, { sipUri: lab.sampleUser.sipUri, appliesTo: lab.urls.webTicketProof });
  const entity = lab.sampleUser.sipUri.replace(/^sip:/, '');
  const request = buildGetAndPublishCertRequest({ to: lab.urls.webTicketProof, security: buildProofSecurity(ticket!, proofKey), entity, csrDer: csrFor(entity) });
  return soapPost(lab, pathOf(lab.urls.webTicketProof), request.xml, request.soapAction, { headers: extra });
}

function faultOf(reply: Reply) {
  const message = parseEnvelope(reply.text);
  if (message.kind !== 'fault') throw new Error(`expected a SOAP fault, got ${message.kind}: ${reply.status} ${reply.text.slice(0, 200)}`);
  return message.fault;
}

async function connectError(role: 'http' | 'https'): Promise<string> {
  try {
    await call(lab, { role, path: '/CertProv/CertProvisioningService.svc' });
    return 'connected';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

/** One observable check per fault name: the compiler (and the catalogue test below) make sure none is missing. */
const checks: Record<LabFaultName, () => Promise<void>> = {
  'dhcp-no-option-43': () =>
    withFaults(['dhcp-no-option-43'], async () => {
      const [answer] = await inform(lab);
      expect(answer?.packet.options.has(43)).toBe(false);
      expect(answer?.packet.options.has(120)).toBe(true);
    }),
  'dhcp-vendor-class-case': () =>
    withFaults(['dhcp-vendor-class-case'], async () => {
      const [exact] = await inform(lab);
      expect(exact?.packet.options.has(43)).toBe(false);
      expect(exact?.packet.options.has(120)).toBe(true);
      const [lower] = await inform(lab, { vendorClass: 'ms-uc-client' });
      expect(lower?.packet.msuc?.webServerFqdn).toBe(lab.fqdn);
    }),
  'dhcp-option-43-bad-port': () =>
    withFaults(['dhcp-option-43-bad-port'], async () => {
      const [answer] = await inform(lab);
      const port = answer?.packet.msuc?.subOptions.find((sub) => sub.code === 4);
      expect(Buffer.from(port!.data)).toEqual(Buffer.from([lab.ports.https >> 8, lab.ports.https & 0xff]));
      expect(answer?.packet.msuc?.certProvisioningUrl).toBeUndefined();
    }),
  'web-fqdn-nxdomain': () =>
    withFaults(['web-fqdn-nxdomain'], async () => {
      const [answer] = await inform(lab);
      expect(answer?.packet.msuc?.webServerFqdn).toMatch(/\.invalid$/);
    }),
  'dhcp-no-option-120': () =>
    withFaults(['dhcp-no-option-120'], async () => {
      const [answer] = await inform(lab);
      expect(answer?.packet.options.has(120)).toBe(false);
      expect(answer?.packet.msuc?.webServerFqdn).toBe(lab.fqdn);
    }),
  'dhcp-silent': () =>
    withFaults(['dhcp-silent'], async () => {
      const before = lab.stats.dhcp.ignored.silenced;
      expect(await inform(lab, { listenMs: 200 })).toHaveLength(0);
      expect(lab.stats.dhcp.ignored.silenced).toBe(before + 1);
    }),
  'dhcp-two-servers': () =>
    withFaults(['dhcp-two-servers'], async () => {
      const answers = await inform(lab);
      expect(answers).toHaveLength(2);
      const [first, second] = answers;
      expect(first!.packet.header.xid).toBe(second!.packet.header.xid);
      expect(first!.from).not.toBe(second!.from);
      expect(first!.packet.serverIdentifier).not.toBe(second!.packet.serverIdentifier);
      expect(first!.packet.msuc?.webServerFqdn).toBe(lab.fqdn);
      expect(second!.packet.msuc?.webServerFqdn).not.toBe(lab.fqdn);
      expect(second!.packet.sipServers?.names[0]).not.toBe(lab.registrarFqdn);
    }),
  'port80-closed': async () => {
    await withFaults(['port80-closed'], async () => {
      expect(await connectError('http')).toBe('ECONNREFUSED');
      expect(await connectError('https')).toBe('connected');
    });
    expect((await rootChainCall()).status).toBe(200);
  },
  'chain-download-disabled': async () => {
    const reply = await rootChainCall(header('chain-download-disabled'));
    expect(reply.status).toBe(200);
    const parsed = parseRootChainResponse({ body: reply.body, contentType: reply.headers['content-type'] });
    expect(parsed.kind === 'chain' ? parsed.certificates.length : 0).toBe(0);
  },
  'chain-http-503': async () => {
    expect((await rootChainCall(header('chain-http-503'))).status).toBe(503);
  },
  'chain-redirect-https': async () => {
    const reply = await rootChainCall(header('chain-redirect-https'));
    expect(reply.status).toBe(302);
    expect(reply.headers.location).toBe(lab.urls.certProv);
  },
  'port443-closed': () =>
    withFaults(['port443-closed'], async () => {
      expect(await connectError('https')).toBe('ECONNREFUSED');
      expect(await connectError('http')).toBe('connected');
    }),
  'tls-name-mismatch': () =>
    withFaults(['tls-name-mismatch'], async () => {
      expect(await connectError('https')).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    }),
  'tls-other-ca': () =>
    withFaults(['tls-other-ca'], async () => {
      expect(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN']).toContain(await connectError('https'));
    }),
  'tls-cert-expired': () =>
    withFaults(['tls-cert-expired'], async () => {
      expect(await connectError('https')).toBe('CERT_HAS_EXPIRED');
    }),
  'webticket-http-503': async () => {
    expect((await ticketFor(header('webticket-http-503'))).reply.status).toBe(503);
  },
  'webticket-server-error': async () => {
    const { reply } = await ticketFor(header('webticket-server-error'));
    expect(reply.status).toBe(500);
    expect(faultOf(reply).errorId).toBe('28001');
  },
  'webticket-x-ms-diagnostics': async () => {
    const { reply } = await ticketFor(header('webticket-x-ms-diagnostics'));
    expect(reply.status).toBe(401);
    expect(reply.body).toHaveLength(0);
    expect(parseMsDiagnostics(reply.headers['x-ms-diagnostics'])).toMatchObject({ errorId: '28901', source: lab.fqdn, fault: 'wsse:FailedAuthentication' });
  },
  'pin-auth-disabled': async () => {
    const mex = parseMex((await call(lab, { path: pathOf(lab.urls.webTicketMex), headers: header('pin-auth-disabled') })).text);
    expect(mex.ok && choosePinPort(mex.mex).ok).toBe(false);
    const { reply } = await ticketFor(header('pin-auth-disabled'));
    expect(faultOf(reply)).toMatchObject({ codeName: 'FailedAuthentication', errorId: '28020' });
  },
  'pin-wrong': async () => {
    const before = lab.stats.pinFailures;
    const { reply } = await ticketFor(header('pin-wrong'));
    expect(faultOf(reply)).toMatchObject({ codeName: 'FailedAuthentication', errorId: '28901' });
    expect(lab.stats.pinFailures).toBe(before + 1);
    lab.unlockPin(lab.sampleUser.sipUri);
  },
  'pin-locked': async () => {
    const { reply } = await ticketFor(header('pin-locked'));
    expect(faultOf(reply)).toMatchObject({ codeName: 'FailedAuthentication', errorId: '28902' });
    lab.unlockPin(lab.sampleUser.sipUri);
  },
  'user-not-sip-enabled': async () => {
    const { reply } = await ticketFor(header('user-not-sip-enabled'));
    expect(reply.status).toBe(403);
    expect(faultOf(reply)).toMatchObject({ errorId: '28000', diagnosticReason: 'User is not SIP enabled.' });
    expect(parseMsDiagnostics(reply.headers['x-ms-diagnostics'])?.errorId).toBe('28000');
  },
  'extension-not-normalised': async () => {
    const { reply } = await ticketFor(header('extension-not-normalised'));
    expect(faultOf(reply).errorId).toBe('28903');
    // Full E.164 needs no rule, so the same user still signs in that way.
    const full = await requestTicket(lab, { phoneOrExt: '+13125557501', headers: header('extension-not-normalised') });
    expect(full.ticket).toBeDefined();
  },
  'rstr-incomplete': async () => {
    const { reply } = await ticketFor(header('rstr-incomplete'));
    expect(reply.status).toBe(200);
    const parsed = parseIssueTokenResponse(reply.text);
    expect(parsed).toMatchObject({ kind: 'incomplete' });
    expect(parsed.kind === 'incomplete' && [...parsed.missing].sort()).toEqual(['lifetime', 'proof-key']);
  },
  'pin-rejected-28020': async () => {
    const { reply } = await ticketFor(header('pin-rejected-28020'));
    expect(reply.status).toBe(500);
    expect(reply.headers['x-ms-diagnostics']).toBeUndefined();
    expect(faultOf(reply)).toMatchObject({ codeName: 'FailedAuthentication', errorId: '28020', diagnosticReason: 'No valid security token.' });
    expect(faultOf(reply).element.children.find((c) => c.name === 'detail')?.children[0]?.ns).toBe('urn:component:Microsoft.Rtc.WebAuthentication.2010');
  },
  'pin-rejected-401': async () => {
    const { reply } = await ticketFor(header('pin-rejected-401'));
    expect(reply.status).toBe(401);
    expect(reply.headers['content-type']).toMatch(/^text\/html/);
    expect(reply.text).toMatch(/<html>/);
    expect(parseMsDiagnostics(reply.headers['x-ms-diagnostics'])).toMatchObject({ errorId: '28020', source: lab.fqdn, reason: 'No valid security token.' });
  },
  'token-proof-secret': async () => {
    const { ticket, proofKey } = await ticketFor(header('token-proof-secret'));
    expect(ticket?.proofSource).toBe('proof-secret');
    // The BinarySecret is the key itself: the standard reading signs a proof the lab accepts.
    const reply = await resolveUserWith(ticket!, proofKey!);
    expect(parseResolveUserResponse(reply.text)).toMatchObject({ kind: 'user', sipUri: lab.sampleUser.sipUri });
  },
  'token-legacy-entropy': async () => {
    const { ticket, proofKey } = await ticketFor(header('token-legacy-entropy'));
    expect(ticket?.proofSource).toBe('proof-secret');
    // Here the same BinarySecret is server entropy: the standard reading is refused.
    expect(faultOf(await resolveUserWith(ticket!, proofKey!))).toMatchObject({ codeName: 'FailedAuthentication' });
  },
  'token-encrypted-key': async () => {
    const { reply } = await ticketFor(header('token-encrypted-key'));
    expect(reply.status).toBe(200);
    expect(parseIssueTokenResponse(reply.text)).toMatchObject({ kind: 'unsupported-proof' });
  },
  'clock-ahead': async () => {
    const { ticket } = await ticketFor(header('clock-ahead:600'));
    const ahead = (new Date(ticket!.created).getTime() - Date.now()) / 1000;
    expect(ahead).toBeGreaterThan(590);
    expect(ahead).toBeLessThan(610);
  },
  'clock-behind': async () => {
    const { ticket } = await ticketFor(header('clock-behind'));
    expect(new Date(ticket!.expires).getTime()).toBeLessThan(Date.now());
  },
  blackhole: async () => {
    const started = Date.now();
    const error = await call(lab, { method: 'POST', path: pathOf(lab.urls.webTicketPin), headers: header('blackhole:webticket'), body: '<x/>', timeoutMs: 400 }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/timeout/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    // Other endpoints keep answering.
    expect((await rootChainCall(header('blackhole:webticket'))).status).toBe(200);
  },
  trickle: async () => {
    const request = buildRootChainRequest('soap', lab.urls.certProvAnonymous);
    const body = request.body!;
    // Headers and a first piece of the body come; the rest never does.
    const seen = await new Promise<{ status: number; declared: number; bytes: number }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: lab.ports.http,
          method: 'POST',
          path: pathOf(request.url),
          headers: { ...request.headers, host: lab.fqdn, 'x-lab-fault': 'trickle:rootchain', 'content-length': Buffer.byteLength(body) },
          agent: false,
        },
        (res) => {
          let bytes = 0;
          res.on('data', (chunk: Buffer) => (bytes += chunk.length));
          setTimeout(() => {
            req.destroy();
            resolve({ status: res.statusCode ?? 0, declared: Number(res.headers['content-length']), bytes });
          }, 300);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(seen.status).toBe(200);
    expect(seen.bytes).toBe(64);
    expect(seen.declared).toBeGreaterThan(64);
  },
  'https-port-plain-http': () =>
    withFaults(['https-port-plain-http'], async () => {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: lab.ports.https }, () => socket.write('\x16\x03\x01\x00\x05hello'));
        socket.once('data', (bytes: Buffer) => {
          socket.destroy();
          resolve(bytes.toString('latin1'));
        });
        socket.on('error', reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    }),
  'malformed-xml': async () => {
    const { reply } = await ticketFor(header('malformed-xml:webticket'));
    expect(reply.status).toBe(200);
    expect(() => parseXml(reply.text)).toThrow();
    expect(parseIssueTokenResponse(reply.text).kind).toBe('invalid');
  },
  'oversized-response': async () => {
    const { reply } = await ticketFor(header('oversized-response:1048576'));
    expect(reply.status).toBe(200);
    expect(reply.body.length).toBe(1_048_576);
  },
  slow: async () => {
    const started = Date.now();
    const { ticket } = await ticketFor(header('slow:300'));
    expect(ticket).toBeDefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(295);
  },
  'webticket-mex-missing': async () => {
    expect((await call(lab, { path: pathOf(lab.urls.webTicketMex), headers: header('webticket-mex-missing') })).status).toBe(404);
  },
  'certprov-mex-missing': async () => {
    expect((await call(lab, { path: pathOf(lab.urls.certProvMex), headers: header('certprov-mex-missing') })).status).toBe(404);
  },
  'certprov-mex-no-proof-port': async () => {
    const mex = parseMex((await call(lab, { path: pathOf(lab.urls.certProvMex), headers: header('certprov-mex-no-proof-port') })).text);
    if (!mex.ok) throw new Error(mex.reason);
    const choice = chooseCertProvPort(mex.mex);
    expect(choice.ok).toBe(false);
    expect(!choice.ok && choice.found).toEqual(['CertProvisioningServiceWinNegotiate', 'CertProvisioningServiceAnonymous']);
  },
  'proof-rejected': async () => {
    const before = lab.stats.proofRejections;
    const reply = await resolveUser(header('proof-rejected'));
    expect(faultOf(reply)).toMatchObject({ codeName: 'FailedAuthentication', errorId: '28020' });
    expect(lab.stats.proofRejections).toBe(before + 1);
  },
  'proof-invalid-security': async () => {
    const reply = await resolveUser(header('proof-invalid-security'));
    expect(reply.status).toBe(500);
    expect(faultOf(reply)).toMatchObject({ codeName: 'InvalidSecurity' });
    expect(faultOf(reply).errorId).toBeUndefined();
  },
  'resolve-no-user': async () => {
    const reply = await resolveUser(header('resolve-no-user'));
    expect(reply.status).toBe(200);
    expect(parseResolveUserResponse(reply.text).kind).toBe('no-user');
  },
  'cert-data-store-unavailable': async () => {
    const reply = await getCertificate(header('cert-data-store-unavailable'));
    expect(reply.status).toBe(200);
    expect(parseGetAndPublishCertResponse(reply.text)).toMatchObject({ kind: 'error-info', code: 'DataStoreUnavailable' });
  },
  'cert-http-500': async () => {
    const reply = await getCertificate(header('cert-http-500'));
    expect(reply.status).toBe(500);
    expect(reply.body).toHaveLength(0);
  },
  'cert-proof-http-403': async () => {
    const reply = await getCertificate(header('cert-proof-http-403'));
    expect(reply.status).toBe(403);
    expect(reply.text).toMatch(/403 - Forbidden/);
  },
  'cert-wrong-key': async () => {
    const reply = await getCertificate(header('cert-wrong-key'));
    const parsed = parseGetAndPublishCertResponse(reply.text);
    if (parsed.kind !== 'certificate') throw new Error(`${parsed.kind}: ${reply.status} ${reply.text.slice(0, 300)}`);
    const issued = new X509Certificate(parsed.certificateDer);
    expect(issued.publicKey.export({ type: 'spki', format: 'der' })).not.toEqual(testKeyPair().publicKey.export({ type: 'spki', format: 'der' }));
    expect(issued.subject).toBe(`CN=${lab.sampleUser.sipUri.replace(/^sip:/, '')}`);
  },
  ...signInFaultChecks(() => lab, withFaults, () => getCertificate()),
  'cert-internal-ca': async () => {
    const { issued, carried } = await issuedWith('cert-internal-ca');
    expect(issued.issuer).toMatch(/Lab Pool Internal CA/);
    expect(carried).toHaveLength(1);
    expect(issued.verify(carried[0]!.publicKey)).toBe(true);
  },
  'cert-internal-ca-no-chain': async () => {
    const { issued, carried } = await issuedWith('cert-internal-ca-no-chain');
    expect(issued.issuer).toMatch(/Lab Pool Internal CA/);
    expect(carried).toHaveLength(0);
  },
  'cert-issuer-signature-mismatch': async () => {
    const { issued, carried } = await issuedWith('cert-issuer-signature-mismatch');
    expect(carried.length).toBeGreaterThan(0);
    for (const ca of carried) expect(issued.verify(ca.publicKey)).toBe(false);
  },
};

/** The certificate a fault makes GetAndPublishCert issue, and the CA certificates the response carries beside it. */
async function issuedWith(fault: LabFaultName): Promise<{ issued: X509Certificate; carried: X509Certificate[] }> {
  const reply = await getCertificate(header(fault));
  const parsed = parseGetAndPublishCertResponse(reply.text);
  if (parsed.kind !== 'certificate') throw new Error(`${parsed.kind}: ${reply.status} ${reply.text.slice(0, 300)}`);
  return { issued: new X509Certificate(parsed.certificateDer), carried: (parsed.chain ?? []).map((der) => new X509Certificate(der)) };
}

describe('lab faults: each one observed at the wire', () => {
  it('has a check for every catalogue entry and nothing else', () => {
    expect(Object.keys(checks).sort()).toEqual(LAB_FAULTS.map((fault) => fault.name).sort());
  });

  for (const fault of LAB_FAULTS) {
    it(`${fault.name}: ${fault.description}`, async () => {
      await checks[fault.name]!();
    });
  }

  it('leaves the happy path intact after all of them', async () => {
    const { ticket } = await requestTicket(lab);
    expect(ticket).toBeDefined();
    expect(lab.faults()).toEqual([]);
  });
});

describe('lab fault catalogue', () => {
  it('names only diagnosis ids that exist in the catalogue, and an exit code that fits the expected status', async () => {
    const { requireCatalogEntry } = await import('../../src/diagnosis/catalog.js');
    for (const fault of LAB_FAULTS) {
      for (const id of [fault.expectedDiagnosisId, ...fault.alsoAcceptable]) {
        // `<stage>-unclassified` ids are made up per stage, not listed in the catalogue.
        if (id === null || id.endsWith('-unclassified')) continue;
        expect(() => requireCatalogEntry(id), `${fault.name} -> ${id}`).not.toThrow();
      }
      expect([0, 1, 4], fault.name).toContain(fault.expectedExit);
      expect(fault.expectedExit === 0, fault.name).toBe(fault.expectedStatus !== 'fail');
    }
  });

  it('checks fault names at compile time: an unknown name is a type error', () => {
    const faults = new FaultSet([parseFaultSpec('slow:5')]);
    expect(faults.has('slow')).toBe(true);
    // @ts-expect-error 'no-such-fault' is not a LabFaultName (the type-check of the tests fails if it becomes one)
    expect(faults.has('no-such-fault')).toBe(false);
  });

  it('gives every parameterised fault a default and a working example', () => {
    for (const fault of LAB_FAULTS) {
      expect(parseFaultSpec(fault.example).name).toBe(fault.name);
      if (fault.params) expect(parseFaultSpec(fault.name).value).toBe(fault.params.default);
    }
  });
});
