// The lab's judgement of what phones send: PIN policy, proofs, variants of the inferred shapes, and
// bad input of every kind answered with a proper fault or HTTP error, never a crash.

import { createSocket } from 'node:dgram';
import { request as httpsRequest } from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDirectory, sampleDirectory, startLab, type Lab } from '../../src/lab/index.js';
import { parseEnvelope } from '../../src/soap/envelope.js';
import { ACTION_GET_AND_PUBLISH_CERT, ACTION_RESOLVE_USER, OCS_AUTH } from '../../src/soap/namespaces.js';
import { chooseCertProvPort, choosePinPort, parseMex, soapActionFor } from '../../src/soap/services/mex.js';
import { encodingFromPolicy } from '../../src/soap/services/inferred/pin-credential.js';
import { buildRootChainRequest, parseRootChainResponse } from '../../src/soap/services/inferred/root-chain.js';
import { buildResolveUserRequest, parseResolveUserResponse } from '../../src/soap/services/inferred/resolve-user.js';
import { buildGetAndPublishCertRequest, parseGetAndPublishCertResponse } from '../../src/soap/services/certprov.js';
import { buildProofSecurity } from '../../src/soap/proof.js';
import { encodePacket } from '../../src/dhcp/packet.js';
import { optionData } from '../../src/dhcp/options.js';
import { call, csrFor, inform, pathOf, proofEnvelope, requestTicket, soapPost, type Reply } from './helpers.js';

function faultOf(reply: Reply) {
  const message = parseEnvelope(reply.text);
  if (message.kind !== 'fault') throw new Error(`expected a SOAP fault, got ${reply.status} ${reply.text.slice(0, 200)}`);
  return message.fault;
}

const resolveBody = `<ResolveUser xmlns="${OCS_AUTH}"/>`;

describe('PIN policy at the wire', () => {
  let lab: Lab;
  beforeAll(async () => {
    const directory = sampleDirectory();
    directory.pinPolicy.maximumLogonAttempts = 2;
    lab = await startLab({ directory, ports: {}, dhcp: false });
  });
  afterAll(() => lab.stop());

  it('locks the PIN after the policy maximum, refuses the right PIN then, and unlocks', async () => {
    const wrong1 = await requestTicket(lab, { phoneOrExt: '7501', pin: '00000' });
    expect(faultOf(wrong1.reply).errorId).toBe('28901');
    const wrong2 = await requestTicket(lab, { phoneOrExt: '7501', pin: '00000' });
    expect(faultOf(wrong2.reply).errorId).toBe('28901');
    const right = await requestTicket(lab, { phoneOrExt: '7501', pin: '14789' });
    expect(faultOf(right.reply).errorId).toBe('28902');
    expect(lab.stats.pin).toMatchObject({ totalFailures: 3, locked: ['sip:phone.test@lab.bootstrap-test.test'] });
    expect(lab.stats.pinFailures).toBe(3);
    const status = JSON.parse((await call(lab, { role: 'http', path: '/lab/status' })).text) as { stats: { pinFailures: number } };
    expect(status.stats.pinFailures).toBe(3);
    lab.unlockPin('sip:phone.test@lab.bootstrap-test.test');
    expect((await requestTicket(lab, { phoneOrExt: '7501', pin: '14789' })).ticket).toBeDefined();
  });

  it('tells apart a user who is not SIP enabled, one without PIN, and a number nobody has', async () => {
    const disabled = await requestTicket(lab, { phoneOrExt: '7503', pin: '36914' });
    expect(disabled.reply.status).toBe(403);
    expect(faultOf(disabled.reply).errorId).toBe('28000');
    expect(faultOf((await requestTicket(lab, { phoneOrExt: '7504', pin: '12345' })).reply).errorId).toBe('28905');
    expect(faultOf((await requestTicket(lab, { phoneOrExt: '7999', pin: '12345' })).reply).errorId).toBe('28903');
    expect(faultOf((await requestTicket(lab, { phoneOrExt: '12', pin: '12345' })).reply).errorId).toBe('28903');
  });

  it('refuses a second ticket whose SIP claim belongs to someone else', async () => {
    const claimed = await requestTicket(lab, { pin: '14789', sipUri: 'sip:conference.room@lab.bootstrap-test.test' });
    expect(faultOf(claimed.reply).errorId).toBe('28907');
  });
});

describe('proof checks on ResolveUser and GetAndPublishCert', () => {
  let lab: Lab;
  let clock = Date.now();
  beforeAll(async () => {
    lab = await startLab({ dhcp: false, now: () => clock });
  });
  afterAll(() => lab.stop());

  const post = (xml: string, action = ACTION_RESOLVE_USER): Promise<Reply> => soapPost(lab, pathOf(lab.urls.webTicketProof), xml, `"${action}"`);

  it('accepts a correct proof and refuses a tampered signature, an unknown ticket and a missing signature', async () => {
    const { ticket, proofKey } = await requestTicket(lab);
    expect((await post(proofEnvelope(lab, ACTION_RESOLVE_USER, resolveBody, ticket!, proofKey))).status).toBe(200);

    const badKey = Buffer.from(proofKey!);
    badKey[0] = (badKey[0] ?? 0) ^ 1;
    const rejected = await post(proofEnvelope(lab, ACTION_RESOLVE_USER, resolveBody, ticket!, badKey));
    expect(faultOf(rejected)).toMatchObject({ codeName: 'FailedAuthentication', errorId: '28020' });

    const forged = { ...ticket!, assertionId: 'SamlSecurityToken-never-issued', assertionXml: ticket!.assertionXml.replace(ticket!.assertionId, 'SamlSecurityToken-never-issued') };
    expect(faultOf(await post(proofEnvelope(lab, ACTION_RESOLVE_USER, resolveBody, forged, proofKey))).errorId).toBe('28020');

    expect(faultOf(await post(proofEnvelope(lab, ACTION_RESOLVE_USER, resolveBody, ticket!, undefined))).errorId).toBe('28020');
    expect(lab.stats.proofRejections).toBe(3);
  });

  it('refuses a ticket once it has expired by the server clock', async () => {
    const { ticket, proofKey } = await requestTicket(lab);
    clock += 9 * 3_600_000;
    try {
      expect(faultOf(await post(proofEnvelope(lab, ACTION_RESOLVE_USER, resolveBody, ticket!, proofKey))).errorId).toBe('28020');
    } finally {
      clock -= 9 * 3_600_000;
    }
  });

  it('answers an unknown action with ActionNotSupported and malformed XML with a client fault', async () => {
    const { ticket, proofKey } = await requestTicket(lab);
    const unknown = await post(proofEnvelope(lab, 'urn:nothing', resolveBody, ticket!, proofKey), 'urn:nothing');
    expect(unknown.status).toBe(500);
    expect(faultOf(unknown).codeName).toBe('ActionNotSupported');
    const malformed = await post('<s:Envelope><s:Body><unclosed></s:Body>');
    expect(malformed.status).toBe(400);
    expect(faultOf(malformed).codeName).toBe('Client');
  });

  it('answers bad certificate requests with ErrorInfo, not faults', async () => {
    const { ticket, proofKey } = await requestTicket(lab, { sipUri: lab.sampleUser.sipUri, appliesTo: lab.urls.webTicketProof });
    const security = buildProofSecurity(ticket!, proofKey);
    const send = async (entity: string, csrDer: Buffer): Promise<unknown> => {
      const request = buildGetAndPublishCertRequest({ to: lab.urls.webTicketProof, security, entity, csrDer });
      const reply = await post(request.xml, ACTION_GET_AND_PUBLISH_CERT);
      expect(reply.status).toBe(200);
      return parseGetAndPublishCertResponse(reply.text);
    };
    const entity = lab.sampleUser.sipUri.replace(/^sip:/, '');
    expect(await send('someone.else@lab.bootstrap-test.test', csrFor(entity))).toMatchObject({ kind: 'error-info', code: 'EntityMismatch' });
    expect(await send(entity, Buffer.from('not a CSR'))).toMatchObject({ kind: 'error-info', code: 'InvalidCertificateRequest' });
    const tampered = Buffer.from(csrFor(entity));
    tampered[tampered.length - 3] = (tampered[tampered.length - 3] ?? 0) ^ 0xff;
    expect(await send(entity, tampered)).toMatchObject({ kind: 'error-info', code: 'InvalidCertificateRequestSignature' });
    expect(await send(entity, csrFor(entity, 'sha256'))).toMatchObject({ kind: 'certificate' });
  });
});

describe('served variants of the inferred shapes', () => {
  it('base64 PIN port: announced in the policy, base64 credentials accepted, plain ones not', async () => {
    const lab = await startLab({ dhcp: false, pinEncoding: 'base64' });
    try {
      const mex = parseMex((await call(lab, { path: pathOf(lab.urls.webTicketMex) })).text);
      if (!mex.ok) throw new Error(mex.reason);
      const port = choosePinPort(mex.mex);
      expect(encodingFromPolicy(port.ok ? port.policy : undefined).encoding).toBe('base64');
      expect((await requestTicket(lab, { encoding: 'base64' })).ticket).toBeDefined();
      expect((await requestTicket(lab, { encoding: 'plain' })).ticket).toBeUndefined();
    } finally {
      await lab.stop();
    }
  });

  it('GET variant of GetRootCertChain with a certificate list, and SOAP refused there', async () => {
    const lab = await startLab({ dhcp: false, rootChainVariant: 'get', rootChainFormat: 'certificate-list' });
    try {
      const get = buildRootChainRequest('get', lab.urls.certProvAnonymous);
      const reply = await call(lab, { role: 'http', path: pathOf(get.url) });
      const chain = parseRootChainResponse({ body: reply.body, contentType: reply.headers['content-type'] });
      expect(chain).toMatchObject({ kind: 'chain', format: 'certificate-list' });
      const soap = buildRootChainRequest('soap', lab.urls.certProvAnonymous);
      const refused = await call(lab, { role: 'http', method: 'POST', path: pathOf(soap.url), headers: soap.headers, body: soap.body! });
      expect(refused.status).toBe(500);
    } finally {
      await lab.stop();
    }
  });

  it('entity-shaped ResolveUser, unsigned proofs under a signed-supporting policy, entropy layout, WSDL action', async () => {
    const action = 'http://schemas.microsoft.com/OCS/AuthWebServices/ICertProvisioningService/ResolveUser';
    const lab = await startLab({ dhcp: false, resolveUserShape: 'entity', proofPolicy: 'signed', tokenLayout: 'computed-key', resolveUserAction: action, resolveUserLayout: 'attribute' });
    try {
      const mex = parseMex((await call(lab, { path: pathOf(lab.urls.certProvMex) })).text);
      if (!mex.ok) throw new Error(mex.reason);
      const port = chooseCertProvPort(mex.mex);
      expect(port.ok && port.endorsing).toBe(false);
      expect(soapActionFor(mex.mex, 'CertProvisioningServiceWebTicketProof_SHA1', 'ResolveUser')?.action).toBe(action);

      const { ticket } = await requestTicket(lab);
      expect(ticket?.proofSource).toBe('computed-key');
      const send = (shape: 'empty' | 'entity', withAction: string): Promise<Reply> => {
        const request = buildResolveUserRequest({ to: lab.urls.webTicketProof, action: withAction, security: buildProofSecurity(ticket!), shape, phoneOrExt: '7501' });
        return soapPost(lab, pathOf(lab.urls.webTicketProof), request.xml, request.soapAction);
      };
      const resolved = await send('entity', action);
      expect(parseResolveUserResponse(resolved.text)).toMatchObject({ kind: 'user', sipUri: lab.sampleUser.sipUri, foundIn: expect.stringContaining('attribute') });
      expect((await send('empty', action)).status).toBe(500);
      expect(faultOf(await send('entity', ACTION_RESOLVE_USER)).codeName).toBe('ActionNotSupported');
    } finally {
      await lab.stop();
    }
  });

  it('UsePinAuth off in the users file removes the PIN port', async () => {
    const directory = parseDirectory(JSON.stringify({ users: [{ sipUri: 'sip:x@example.com', lineUri: 'tel:+13125550001;ext=0001', pin: '11111' }], pinPolicy: { usePinAuth: false } }), 'u.json');
    const lab = await startLab({ dhcp: false, directory });
    try {
      const mex = parseMex((await call(lab, { path: pathOf(lab.urls.webTicketMex) })).text);
      expect(mex.ok && choosePinPort(mex.mex).ok).toBe(false);
      expect(lab.sampleUser.pin).toBeUndefined();
    } finally {
      await lab.stop();
    }
  });
});

describe('bad input never breaks the lab', () => {
  let lab: Lab;
  const lines: string[] = [];
  beforeAll(async () => {
    lab = await startLab({ maxRequestBytes: 4096, log: (line) => lines.push(line) });
  });
  afterAll(() => lab.stop());

  it('caps request bodies with 413 and keeps serving', async () => {
    const big = await call(lab, { method: 'POST', path: pathOf(lab.urls.webTicketPin), body: 'x'.repeat(10_000) });
    expect(big.status).toBe(413);
    expect((await requestTicket(lab)).ticket).toBeDefined();
  });

  it('caps a body sent without Content-Length too', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port: lab.ports.https, method: 'POST', path: pathOf(lab.urls.webTicketPin), servername: lab.fqdn, ca: lab.caCertificatesPem, agent: false, headers: { 'transfer-encoding': 'chunked' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('y'.repeat(1000));
      req.end();
    });
    expect(status).toBe(413);
  });

  it('answers a malformed or hostile body at the anonymous root-chain endpoint with a 400 client fault', async () => {
    const hostile = [
      '',
      '<<<not xml',
      '<a'.repeat(1500),
      '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>' + '<a>'.repeat(500),
      '<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>',
      '<!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/passwd">]><l>&x;</l>',
      `<a x="${'y'.repeat(3000)}`,
    ];
    const request = buildRootChainRequest('soap', lab.urls.certProvAnonymous);
    for (const body of hostile) {
      const reply = await call(lab, { role: 'http', method: 'POST', path: pathOf(request.url), headers: request.headers, body });
      expect(reply.status, body.slice(0, 40)).toBe(400);
      const fault = faultOf(reply);
      expect(fault.codeName).toBe('Client');
      expect(fault.reason).toMatch(/^The request is not a well-formed SOAP message: /);
      expect(reply.text).not.toContain('root:');
    }
  });

  it('never echoes more than a few hundred characters of a request in an error reply', async () => {
    const longAction = `urn:${'a'.repeat(10_000)}`;
    const other = '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><Other/></s:Body></s:Envelope>';
    const replies = [
      await call(lab, { role: 'http', method: 'POST', path: pathOf(lab.urls.certProvAnonymous), headers: { soapaction: `"${longAction}"` }, body: other }),
      await soapPost(lab, pathOf(lab.urls.webTicketProof), other, `"${longAction}"`),
      await soapPost(lab, pathOf(lab.urls.webTicketPin), `<${'n'.repeat(3000)}>`, '"x"'),
      await call(lab, { path: pathOf(lab.urls.webTicketMex), headers: { 'x-lab-fault': `slow:${'9'.repeat(10_000)}` } }),
    ];
    for (const reply of replies) {
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(reply.text).not.toMatch(/a{400}|n{400}|9{400}/);
      expect(reply.text).toMatch(/… \(\d+ bytes in all\)/);
    }
  });

  it('answers malformed SOAP, unknown paths, wrong methods and bad fault headers properly', async () => {
    const malformed = await soapPost(lab, pathOf(lab.urls.webTicketPin), '<<<not xml', '"x"');
    expect(malformed.status).toBe(400);
    expect(faultOf(malformed).codeName).toBe('Client');
    const empty = await soapPost(lab, pathOf(lab.urls.webTicketPin), '', '"x"');
    expect(empty.status).toBe(400);
    const noToken = await soapPost(lab, pathOf(lab.urls.webTicketPin), '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><x/></s:Body></s:Envelope>', '"x"');
    expect(noToken.status).toBe(500);
    expect((await call(lab, { path: '/nothing/here' })).status).toBe(404);
    expect((await call(lab, { method: 'PUT', path: pathOf(lab.urls.webTicketPin), body: '' })).status).toBe(405);
    const badFault = await call(lab, { path: pathOf(lab.urls.webTicketMex), headers: { 'x-lab-fault': 'no-such-fault' } });
    expect(badFault.status).toBe(400);
    expect(badFault.text).toContain('unknown fault "no-such-fault"');
    const wholeLab = await call(lab, { path: pathOf(lab.urls.webTicketMex), headers: { 'x-lab-fault': 'tls-other-ca' } });
    expect(wholeLab.status).toBe(400);
    expect(wholeLab.text).toContain('tls-other-ca applies to the whole lab');
    expect((await call(lab, { path: pathOf(lab.urls.webTicketMex) })).status).toBe(200);
  });

  it('ignores DHCP packets that are not an MS-UC-Client INFORM asking for 43 and 120, and counts them', async () => {
    const before = lab.stats.dhcp;
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    let received = 0;
    socket.on('message', () => (received += 1));
    await new Promise<void>((resolve) => socket.send(Buffer.from('garbage'), lab.ports.dhcp, '127.0.0.1', () => resolve()));
    await delay(50);
    socket.close();
    expect(received).toBe(0);
    expect(await inform(lab, { messageType: 1 })).toHaveLength(0);
    expect(await inform(lab, { vendorClass: 'CPE-OCPHONE' })).toHaveLength(0);
    expect(await inform(lab, { requested: [1, 3] })).toHaveLength(0);
    expect(await inform(lab, { ciaddr: '0.0.0.0' })).toHaveLength(0);
    // An INFORM without a hardware address cannot be answered; it must not take the responder down.
    const noChaddr = encodePacket({
      header: { xid: 7, ciaddr: '127.0.0.1', chaddr: new Uint8Array(0) },
      options: [optionData(53, 8), optionData(60, 'MS-UC-Client'), optionData(55, [120, 43])],
    });
    const sender = createSocket('udp4');
    await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => sender.send(noChaddr, lab.ports.dhcp, '127.0.0.1', () => resolve()));
    await delay(50);
    sender.close();
    const after = lab.stats.dhcp;
    expect(after.ignored['not-dhcp']).toBe(before.ignored['not-dhcp'] + 2);
    expect(after.ignored['not-inform']).toBe(before.ignored['not-inform'] + 1);
    expect(after.ignored['other-vendor-class']).toBe(before.ignored['other-vendor-class'] + 1);
    expect(after.ignored['options-not-requested']).toBe(before.ignored['options-not-requested'] + 1);
    expect(after.ignored['no-ciaddr']).toBe(before.ignored['no-ciaddr'] + 1);
    expect(await inform(lab)).toHaveLength(1);
  });

  it('logged every request on one line without the PIN', () => {
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) {
      expect(line).not.toContain('\n');
      expect(line).not.toContain('14789');
    }
  });
});

describe('stop()', () => {
  const WATCHED = ['TCPServerWrap', 'TCPSocketWrap', 'TLSWrap', 'UDPWrap', 'Timeout'];
  const resources = (): Record<string, number> => {
    const counts: Record<string, number> = Object.fromEntries(WATCHED.map((name) => [name, 0]));
    for (const name of process.getActiveResourcesInfo()) if (name in counts) counts[name] = (counts[name] ?? 0) + 1;
    return counts;
  };

  it('closes every socket and timer, blackholed and slow requests included', async () => {
    await delay(50);
    const before = resources();
    const lab = await startLab({ faults: ['blackhole:webticket', 'dhcp-two-servers'] });
    await inform(lab);
    const hanging = call(lab, { method: 'POST', path: pathOf(lab.urls.webTicketPin), body: '<x/>', timeoutMs: 30_000 }).catch((error: Error) => error);
    const slow = call(lab, { path: pathOf(lab.urls.webTicketMex), headers: { 'x-lab-fault': 'slow:20000' }, timeoutMs: 30_000 }).catch((error: Error) => error);
    await delay(100);
    // HTTP, HTTPS and the SIP registrar; two DHCP servers, the SNTP and the DNS responder.
    expect(resources()['TCPServerWrap']).toBe((before['TCPServerWrap'] ?? 0) + 3);
    expect(resources()['UDPWrap']).toBe((before['UDPWrap'] ?? 0) + 4);
    await lab.stop();
    expect(await hanging).toBeInstanceOf(Error);
    expect(await slow).toBeInstanceOf(Error);
    await delay(50);
    const after = resources();
    for (const name of WATCHED) expect(after[name], name).toBeLessThanOrEqual(before[name] ?? 0);
    await lab.stop();
  });
});

describe('endpoint-scoped faults reach the endpoint they name, and only that one', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab();
  });
  afterAll(() => lab.stop());

  const rootChain = (fault: string) => {
    const request = buildRootChainRequest('soap', lab.urls.certProvAnonymous);
    return call(lab, { role: 'http', method: 'POST', path: pathOf(request.url), headers: { ...request.headers, 'x-lab-fault': fault }, body: request.body!, timeoutMs: 300 });
  };
  const mex = (url: string, fault: string) => call(lab, { path: pathOf(url), headers: { 'x-lab-fault': fault }, timeoutMs: 300 });
  const timedOut = (promise: Promise<Reply>) => promise.then(() => 'answered', (error: Error) => (/timeout/.test(error.message) ? 'timeout' : error.message));

  it('blackholes each HTTP endpoint on request', async () => {
    expect(await timedOut(rootChain('blackhole:rootchain'))).toBe('timeout');
    expect(await timedOut(mex(lab.urls.certProvMex, 'blackhole:certprov-mex'))).toBe('timeout');
    expect(await timedOut(mex(lab.urls.webTicketMex, 'blackhole:webticket-mex'))).toBe('timeout');
    expect(await timedOut(mex(lab.urls.webTicketMex, 'blackhole:certprov-mex'))).toBe('answered');
    const { ticket, proofKey } = await requestTicket(lab);
    const resolve = proofEnvelope(lab, ACTION_RESOLVE_USER, resolveBody, ticket!, proofKey);
    const post = (action: string, fault: string) =>
      timedOut(soapPost(lab, pathOf(lab.urls.webTicketProof), resolve, `"${action}"`, { headers: { 'x-lab-fault': fault }, timeoutMs: 300 }));
    expect(await post(ACTION_RESOLVE_USER, 'blackhole:resolveuser')).toBe('timeout');
    expect(await post(ACTION_RESOLVE_USER, 'blackhole:certificate')).toBe('answered');
    expect(await post(ACTION_GET_AND_PUBLISH_CERT, 'blackhole:certificate')).toBe('timeout');
    expect(lab.stats.requests.byStatus['blackholed']).toBe(5);
  });

  it('blackholes the DHCP responder when asked (lab-wide)', async () => {
    await lab.setFaults(['blackhole:dhcp']);
    expect(await inform(lab)).toHaveLength(0);
    await lab.setFaults([]);
    expect(await inform(lab)).toHaveLength(1);
  });

  it('cuts the XML of the endpoint it names', async () => {
    const cut = await rootChain('malformed-xml:rootchain');
    expect(parseRootChainResponse({ body: cut.body, contentType: cut.headers['content-type'] }).kind).not.toBe('chain');
    expect(parseMex((await mex(lab.urls.certProvMex, 'malformed-xml:certprov-mex')).text).ok).toBe(false);
    expect(parseMex((await mex(lab.urls.certProvMex, 'malformed-xml:webticket-mex')).text).ok).toBe(true);
  });
});
