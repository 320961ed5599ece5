// Metadata as the lab's services publish it: WSDL and WS-Policy wrapped in mex:Metadata, the way a
// WCF service does. The client's reading of metadata is src/soap/services/mex.ts.

import { MEX, SP, WSA, WSDL, WSDL_SOAP11, WSP, WSU } from '../../soap/namespaces.js';
import { escapeAttribute, escapeText } from '../../soap/xml.js';

export interface MexPortSpec {
  name: string;
  address: string;
  /** Policy assertions placed in ExactlyOne/All (serialised, may use the sp/wsp/wsa prefixes). */
  policy?: string;
  /** Operation name → SOAP action. */
  operations?: Record<string, string>;
}

export interface MexSpec {
  serviceName: string;
  portTypeName: string;
  targetNamespace: string;
  ports: MexPortSpec[];
}

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
  const bindings = spec.ports
    .map(
      (p) =>
        `<wsdl:binding name="${e(p.name)}" type="tns:${e(spec.portTypeName)}">` +
        (p.policy !== undefined ? `<wsp:PolicyReference URI="#${e(p.name)}_policy"/>` : '') +
        '<soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>' +
        Object.entries(p.operations ?? {})
          .map(
            ([op, action]) =>
              `<wsdl:operation name="${e(op)}"><soap:operation soapAction="${e(action)}" style="document"/>` +
              '<wsdl:input><soap:body use="literal"/></wsdl:input><wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>',
          )
          .join('') +
        '</wsdl:binding>',
    )
    .join('');
  const service =
    `<wsdl:service name="${e(spec.serviceName)}">` +
    spec.ports
      .map((p) => `<wsdl:port name="${e(p.name)}" binding="tns:${e(p.name)}"><soap:address location="${e(p.address)}"/></wsdl:port>`)
      .join('') +
    '</wsdl:service>';
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<wsx:Metadata xmlns:wsx="${MEX}"><wsx:MetadataSection Dialect="${WSDL}" Identifier="${e(spec.targetNamespace)}">` +
    `<wsdl:definitions name="${e(spec.serviceName)}" targetNamespace="${e(spec.targetNamespace)}" xmlns:wsdl="${WSDL}" ` +
    `xmlns:soap="${WSDL_SOAP11}" xmlns:wsp="${WSP}" xmlns:wsu="${WSU}" xmlns:sp="${SP}" xmlns:wsa="${WSA}" ` +
    `xmlns:tns="${e(spec.targetNamespace)}">` +
    policies +
    portType +
    bindings +
    service +
    '</wsdl:definitions></wsx:MetadataSection></wsx:Metadata>'
  );
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
