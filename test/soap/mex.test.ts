import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ACTION_GET_AND_PUBLISH_CERT, ACTION_RESOLVE_USER } from '../../src/soap/namespaces.js';
import {
  chooseCertProvPort,
  choosePinPort,
  parseMex,
  policyForPort,
  soapActionFor,
  soapVersionOf,
  type MexDocument,
} from '../../src/soap/services/mex.js';
import { buildMexDocument, issuedTokenPolicy } from '../../src/lab/wire/mex.js';

const WEBTICKET = 'https://pool01.lab.test/WebTicket/WebTicketService.svc';
const PROOF = 'https://pool01.lab.test/CertProv/CertProvisioningService.svc/WebTicket_Proof';

function mexOf(xml: string): MexDocument {
  const parsed = parseMex(xml);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.mex;
}

const certProvMex = (endorsing: boolean, names = ['CertProvisioningServiceWebTicketProof', 'CertProvisioningServiceWebTicketProof_SHA1']) =>
  buildMexDocument({
    serviceName: 'CertProvisioningService',
    portTypeName: 'ICertProvisioningService',
    targetNamespace: 'http://schemas.microsoft.com/OCS/AuthWebServices/',
    ports: [
      { name: 'CertProvisioningServiceWinNegotiate', address: 'https://pool01.lab.test/CertProv/CertProvisioningService.svc/WinNegotiate' },
      ...names.map((name) => ({
        name,
        address: name.endsWith('_SHA1') ? PROOF : `${PROOF}_Other`,
        policy: issuedTokenPolicy(`${WEBTICKET}/WebTicket_Proof`, endorsing),
        operations: { GetAndPublishCert: ACTION_GET_AND_PUBLISH_CERT, ResolveUser: `${ACTION_RESOLVE_USER}V2` },
      })),
    ],
  });

describe('CertProv metadata', () => {
  it('finds the _SHA1 WebTicketProof port, its endorsing policy, issuer and actions', () => {
    const mex = mexOf(certProvMex(true));
    const choice = chooseCertProvPort(mex);
    expect(choice).toMatchObject({
      ok: true,
      port: { name: 'CertProvisioningServiceWebTicketProof_SHA1', address: PROOF },
      endorsing: true,
      issuerAddress: `${WEBTICKET}/WebTicket_Proof`,
    });
    expect(soapActionFor(mex, 'CertProvisioningServiceWebTicketProof_SHA1', 'ResolveUser')?.action).toBe(`${ACTION_RESOLVE_USER}V2`);
    expect(soapActionFor(mex, 'CertProvisioningServiceWebTicketProof_SHA1', 'Missing')?.action).toBeUndefined();
  });

  it('says the ticket goes unsigned when the policy lists it under SignedSupportingTokens', () => {
    expect(chooseCertProvPort(mexOf(certProvMex(false)))).toMatchObject({ ok: true, endorsing: false });
  });

  it('falls back to a port with the prefix when no _SHA1 exists, and lists the ports when none matches', () => {
    expect(chooseCertProvPort(mexOf(certProvMex(true, ['CertProvisioningServiceWebTicketProof_Sha256'])))).toMatchObject({
      ok: true,
      port: { name: 'CertProvisioningServiceWebTicketProof_Sha256' },
    });
    expect(chooseCertProvPort(mexOf(certProvMex(true, ['SomethingElse'])))).toMatchObject({
      ok: false,
      found: ['CertProvisioningServiceWinNegotiate', 'SomethingElse'],
    });
  });

  it('reads a hand-written WCF-style WSDL: no MEX wrapper, default wsdl namespace, other prefixes, policy by naming convention', () => {
    const xml = `<?xml version="1.0"?>
      <definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:s12="http://schemas.xmlsoap.org/wsdl/soap12/"
          xmlns:p="http://schemas.xmlsoap.org/ws/2004/09/policy" xmlns:u="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
          xmlns:x="http://schemas.xmlsoap.org/ws/2005/07/securitypolicy" xmlns:a10="http://www.w3.org/2005/08/addressing"
          xmlns:i0="urn:ocs" xmlns:wsaw="http://www.w3.org/2006/05/addressing/wsdl" targetNamespace="urn:ocs">
        <service name="CertProvisioningService">
          <port name="CertProvisioningServiceWebTicketProof_SHA1" binding="i0:CertProvisioningServiceWebTicketProof_SHA1">
            <s12:address location="${PROOF}"/>
          </port>
        </service>
        <binding name="CertProvisioningServiceWebTicketProof_SHA1" type="i0:ICertProv">
          <operation name="GetAndPublishCert"><s12:operation style="document"/></operation>
        </binding>
        <portType name="ICertProv"><operation name="GetAndPublishCert"><input wsaw:Action="${ACTION_GET_AND_PUBLISH_CERT}"/></operation></portType>
        <p:Policy u:Id="CertProvisioningServiceWebTicketProof_SHA1_policy"><p:ExactlyOne><p:All>
          <x:EndorsingSupportingTokens><p:Policy><x:IssuedToken><x:Issuer><a10:Address>${WEBTICKET}/WebTicket_Proof</a10:Address></x:Issuer></x:IssuedToken></p:Policy></x:EndorsingSupportingTokens>
        </p:All></p:ExactlyOne></p:Policy>
      </definitions>`;
    const mex = mexOf(xml);
    expect(policyForPort(mex, 'CertProvisioningServiceWebTicketProof_SHA1')?.id).toBe('CertProvisioningServiceWebTicketProof_SHA1_policy');
    expect(chooseCertProvPort(mex)).toMatchObject({ ok: true, endorsing: true, issuerAddress: `${WEBTICKET}/WebTicket_Proof` });
    expect(soapActionFor(mex, 'CertProvisioningServiceWebTicketProof_SHA1', 'GetAndPublishCert')?.action).toBe(ACTION_GET_AND_PUBLISH_CERT);
  });

  it('joins a WCF split: service in one MetadataSection, binding and policy in another', () => {
    const xml = `<Metadata xmlns="http://schemas.xmlsoap.org/ws/2004/09/mex">
      <MetadataSection Dialect="http://schemas.xmlsoap.org/wsdl/"><wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:i0="urn:b" targetNamespace="urn:svc">
        <wsdl:import namespace="urn:b" location=""/>
        <wsdl:service name="CertProvisioningService"><wsdl:port name="CertProvisioningServiceWebTicketProof_SHA1" binding="i0:B1"><soap:address location="${PROOF}"/></wsdl:port></wsdl:service>
      </wsdl:definitions></MetadataSection>
      <MetadataSection Dialect="http://schemas.xmlsoap.org/wsdl/"><wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:wsp="http://www.w3.org/ns/ws-policy" xmlns:sp="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" targetNamespace="urn:b">
        <wsp:Policy wsu:Id="B1_policy"><wsp:ExactlyOne><wsp:All><sp:SignedSupportingTokens><wsp:Policy><sp:IssuedToken><sp:Issuer><Address xmlns="http://www.w3.org/2005/08/addressing">${WEBTICKET}</Address></sp:Issuer></sp:IssuedToken></wsp:Policy></sp:SignedSupportingTokens></wsp:All></wsp:ExactlyOne></wsp:Policy>
        <wsdl:binding name="B1" type="i0:ICertProv"><wsp:PolicyReference URI="#B1_policy"/>
          <wsdl:operation name="ResolveUser"><soap:operation soapAction="${ACTION_RESOLVE_USER}"/></wsdl:operation></wsdl:binding>
      </wsdl:definitions></MetadataSection></Metadata>`;
    const mex = mexOf(xml);
    expect(chooseCertProvPort(mex)).toMatchObject({ ok: true, endorsing: false, issuerAddress: WEBTICKET, policy: { id: 'B1_policy' } });
    expect(soapActionFor(mex, 'CertProvisioningServiceWebTicketProof_SHA1', 'ResolveUser')?.action).toBe(ACTION_RESOLVE_USER);
  });

  it('refuses documents that are not WSDL, with a reason', () => {
    expect(parseMex('<html><body>404</body></html>')).toMatchObject({ ok: false, reason: expect.stringContaining('no WSDL') });
    expect(parseMex('<wsdl:definitions')).toMatchObject({ ok: false, reason: expect.stringContaining('malformed') });
  });
});

describe('Web Ticket metadata', () => {
  const webTicketMex = (names: string[]) =>
    buildMexDocument({
      serviceName: 'WebTicketService',
      portTypeName: 'IWebTicketService',
      targetNamespace: 'urn:wt',
      ports: names.map((name) => ({ name, address: `${WEBTICKET}/${name.replace('WebTicketService', '')}`, operations: { IssueToken: 'urn:issue' } })),
    });

  it('chooses the port whose name contains Pin, in any case', () => {
    expect(choosePinPort(mexOf(webTicketMex(['WebTicketServiceWinNegotiate', 'WebTicketServicePin', 'WsFedBearer'])))).toMatchObject({
      ok: true,
      port: { name: 'WebTicketServicePin', address: `${WEBTICKET}/Pin` },
    });
    expect(choosePinPort(mexOf(webTicketMex(['WebTicketServiceWinNegotiate', 'WebTicketServicePIN_Auth'])))).toMatchObject({
      ok: true,
      port: { name: 'WebTicketServicePIN_Auth' },
    });
  });

  it('lists the ports when PIN authentication is not offered', () => {
    expect(choosePinPort(mexOf(webTicketMex(['WebTicketServiceWinNegotiate', 'WsFedBearer'])))).toMatchObject({
      ok: false,
      found: ['WebTicketServiceWinNegotiate', 'WsFedBearer'],
    });
  });
});

describe('metadata written by another hand (fixtures/soap/mex/wcf-split-soap12-no-actions.xml)', () => {
  // Default namespaces only, prefixes rebound per element, the service and the bindings in different
  // MetadataSections, a soap12 binding with no soapAction, whitespace around URIs and the policy reference.
  const xml = readFileSync(fileURLToPath(new URL('../../fixtures/soap/mex/wcf-split-soap12-no-actions.xml', import.meta.url)), 'utf8');
  const mex = mexOf(xml);
  const PORT = 'CertProvisioningServiceWebTicketProof_SHA1';

  it('finds the proof port, its trimmed address and its endorsing policy across sections', () => {
    expect(chooseCertProvPort(mex)).toMatchObject({
      ok: true,
      endorsing: true,
      issuerAddress: 'https://pool01.example.com/WebTicket/WebTicketService.svc/WebTicket_Proof',
      port: { name: PORT, address: 'https://pool01.example.com/CertProv/CertProvisioningService.svc/WebTicket_Proof' },
    });
  });

  it('records each binding’s SOAP version', () => {
    expect(soapVersionOf(mex, PORT)).toBe('1.2');
    expect(soapVersionOf(mex, 'CertProvisioningServiceWinNegotiate')).toBe('1.1');
    expect(soapVersionOf(mex, 'NoSuchPort')).toBe('1.1');
  });

  it("derives WCF's default action where the binding names none, and keeps a named one", () => {
    expect(soapActionFor(mex, PORT, 'ResolveUser')).toEqual({
      action: 'http://schemas.microsoft.com/OCS/AuthWebServices/ICertProvisioningService/ResolveUser',
      source: 'wcf-default',
    });
    expect(soapActionFor(mex, 'CertProvisioningServiceWinNegotiate', 'GetAndPublishCert')).toEqual({ action: ACTION_GET_AND_PUBLISH_CERT, source: 'soapAction' });
    expect(soapActionFor(mex, PORT, 'NotAnOperation')).toBeUndefined();
  });

  it('says whether unusable metadata did not parse or was not WSDL', () => {
    expect(parseMex('<html><body>404</body></html>')).toMatchObject({ ok: false, problem: 'not-wsdl' });
    expect(parseMex(xml.slice(0, 500))).toMatchObject({ ok: false, problem: 'unparsable' });
  });
});

describe('port choice by name and policy, not position', () => {
  it('prefers the PIN-named port whose policy asks for a UsernameToken over an earlier one without', () => {
    const mex = mexOf(
      buildMexDocument({
        serviceName: 'WebTicketService',
        portTypeName: 'IWebTicketService',
        targetNamespace: 'urn:x',
        ports: [
          { name: 'WebTicketServicePinLegacy', address: `${WEBTICKET}/legacy` },
          { name: 'WebTicketServicePinAuth', address: `${WEBTICKET}/PinAuth`, policy: '<sp:SignedSupportingTokens><wsp:Policy><sp:UsernameToken/></wsp:Policy></sp:SignedSupportingTokens>' },
        ],
      }),
    );
    expect(choosePinPort(mex)).toMatchObject({ ok: true, port: { name: 'WebTicketServicePinAuth' } });
  });
});
