// Metadata as the lab's services publish it: WSDL and WS-Policy wrapped in mex:Metadata, the way a
// WCF service does. The client's reading of metadata is src/soap/services/mex.ts.

import { MEX, SP, WSA, WSDL, WSDL_SOAP11, WSDL_SOAP12, WSP, WSU } from '../../soap/namespaces.js';
import { escapeAttribute, escapeText } from '../../soap/xml.js';

export interface MexPortSpec {
  name: string;
  address: string;
  /** Policy assertions placed in ExactlyOne/All (serialised, may use the sp/wsp/wsa prefixes). */
  policy?: string;
  /** Operation name → SOAP action; an empty action leaves soapAction out (WCF then derives the action). */
  operations?: Record<string, string>;
  /** The binding's SOAP version (default 1.1). */
  soapVersion?: '1.1' | '1.2';
}

export interface MexSpec {
  serviceName: string;
  portTypeName: string;
  targetNamespace: string;
  ports: MexPortSpec[];
  /**
   * Publish as WCF does for a service whose contract lives in another namespace: policies, portType and
   * bindings in one WSDL, the service in a second one that wsdl:imports the first, and an XSD section.
   */
  split?: boolean;
}

const XSD = 'http://www.w3.org/2001/XMLSchema';
/** Where WCF puts the service of a split WSDL unless told otherwise. */
const SERVICE_NAMESPACE = 'http://tempuri.org/';

const TRANSPORT_BINDING =
  '<sp:TransportBinding><wsp:Policy><sp:TransportToken><wsp:Policy><sp:HttpsToken/></wsp:Policy></sp:TransportToken>' +
  '<sp:AlgorithmSuite><wsp:Policy><sp:Basic256/></wsp:Policy></sp:AlgorithmSuite><sp:Layout><wsp:Policy><sp:Strict/></wsp:Policy></sp:Layout>' +
  '<sp:IncludeTimestamp/></wsp:Policy></sp:TransportBinding>';

/** WSDL + policies wrapped in mex:Metadata, the way a WCF service publishes them. */
export function buildMexDocument(spec: MexSpec): string {
  const e = escapeAttribute;
  const policies = spec.ports
    .filter((p) => p.policy !== undefined)
    .map(
      (p) =>
        `<wsp:Policy wsu:Id="${e(p.name)}_policy"><wsp:ExactlyOne><wsp:All>${TRANSPORT_BINDING}${p.policy}</wsp:All></wsp:ExactlyOne></wsp:Policy>`,
    )
    .join('');
  const operationNames = [...new Set(spec.ports.flatMap((p) => Object.keys(p.operations ?? {})))];
  const portType =
    `<wsdl:portType name="${e(spec.portTypeName)}">` +
    operationNames.map((op) => `<wsdl:operation name="${e(op)}"><wsdl:input message="tns:${e(op)}Request"/></wsdl:operation>`).join('') +
    '</wsdl:portType>';
  const soapPrefix = (p: MexPortSpec): string => (p.soapVersion === '1.2' ? 'soap12' : 'soap');
  const bindings = spec.ports
    .map(
      (p) =>
        `<wsdl:binding name="${e(p.name)}" type="tns:${e(spec.portTypeName)}">` +
        (p.policy !== undefined ? `<wsp:PolicyReference URI="#${e(p.name)}_policy"/>` : '') +
        `<${soapPrefix(p)}:binding transport="http://schemas.xmlsoap.org/soap/http"/>` +
        Object.entries(p.operations ?? {})
          .map(
            ([op, action]) =>
              `<wsdl:operation name="${e(op)}"><${soapPrefix(p)}:operation${action === '' ? '' : ` soapAction="${e(action)}"`} style="document"/>` +
              `<wsdl:input><${soapPrefix(p)}:body use="literal"/></wsdl:input><wsdl:output><${soapPrefix(p)}:body use="literal"/></wsdl:output></wsdl:operation>`,
          )
          .join('') +
        '</wsdl:binding>',
    )
    .join('');
  const service = (bindingPrefix: string): string =>
    `<wsdl:service name="${e(spec.serviceName)}">` +
    spec.ports
      .map((p) => `<wsdl:port name="${e(p.name)}" binding="${bindingPrefix}:${e(p.name)}"><${soapPrefix(p)}:address location="${e(p.address)}"/></wsdl:port>`)
      .join('') +
    '</wsdl:service>';
  const declarations =
    `xmlns:wsdl="${WSDL}" xmlns:soap="${WSDL_SOAP11}" xmlns:soap12="${WSDL_SOAP12}" xmlns:wsp="${WSP}" xmlns:wsu="${WSU}" ` +
    `xmlns:sp="${SP}" xmlns:wsa="${WSA}"`;
  const section = (dialect: string, identifier: string, content: string): string =>
    `<wsx:MetadataSection Dialect="${dialect}" Identifier="${e(identifier)}">${content}</wsx:MetadataSection>`;
  const contract =
    `<wsdl:definitions name="${e(spec.serviceName)}" targetNamespace="${e(spec.targetNamespace)}" ${declarations} ` +
    `xmlns:tns="${e(spec.targetNamespace)}">` +
    policies +
    (spec.split ? `<wsdl:types><xsd:schema xmlns:xsd="${XSD}"><xsd:import namespace="${e(spec.targetNamespace)}"/></xsd:schema></wsdl:types>` : '') +
    portType +
    bindings +
    (spec.split ? '' : service('tns')) +
    '</wsdl:definitions>';
  const sections = spec.split
    ? section(WSDL, SERVICE_NAMESPACE,
        `<wsdl:definitions name="${e(spec.serviceName)}" targetNamespace="${SERVICE_NAMESPACE}" ${declarations} xmlns:i0="${e(spec.targetNamespace)}">` +
          `<wsdl:import namespace="${e(spec.targetNamespace)}" location=""/>${service('i0')}</wsdl:definitions>`) +
      section(WSDL, spec.targetNamespace, contract) +
      section(XSD, spec.targetNamespace, `<xs:schema xmlns:xs="${XSD}" elementFormDefault="qualified" targetNamespace="${e(spec.targetNamespace)}"/>`)
    : section(WSDL, spec.targetNamespace, contract);
  return '<?xml version="1.0" encoding="utf-8"?>' + `<wsx:Metadata xmlns:wsx="${MEX}">${sections}</wsx:Metadata>`;
}

/** The policy assertion of a WebTicketProof port: the ticket as an IssuedToken from `issuer`. */
export function issuedTokenPolicy(issuer: string, endorsing: boolean): string {
  const wrapper = endorsing ? 'sp:EndorsingSupportingTokens' : 'sp:SignedSupportingTokens';
  return (
    `<${wrapper}><wsp:Policy><sp:IssuedToken sp:IncludeToken="${SP}/IncludeToken/AlwaysToRecipient">` +
    `<sp:Issuer><wsa:Address>${escapeText(issuer)}</wsa:Address></sp:Issuer>` +
    '<sp:RequestSecurityTokenTemplate/><wsp:Policy><sp:RequireInternalReference/></wsp:Policy>' +
    `</sp:IssuedToken></wsp:Policy></${wrapper}>`
  );
}
