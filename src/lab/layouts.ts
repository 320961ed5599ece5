// Named server layouts the lab can serve (issue 8): valid ways a real pool, or another SOAP stack,
// may publish its metadata and write its answers. None of them is a fault: a client that follows the
// specifications must reach Success against every one, alone or combined.

import { BootstrapTestError } from '../errors.js';
import type { ReshapeOptions } from './wire/reshape.js';

export const WIRE_LAYOUTS = {
  'mex-wsdl-only': 'metadata only at …?wsdl (…/mex answers 404)',
  'mex-post-only':
    'metadata only through a WS-MetadataExchange GetMetadata POST to …/mex (GET …/mex is 405, ?wsdl the "metadata publishing is disabled" page)',
  'mex-split':
    'WSDL split across MetadataSections: policies, portType and bindings in one document, the service in another joined by wsdl:import, an XSD section',
  'ports-reordered': 'ports in reverse order, with a policy-less decoy WebTicketProof port listed first',
  soap12:
    'PIN and proof ports bound as SOAP 1.2: they refuse SOAP 1.1 (415) and answer in SOAP 1.2 with application/soap+xml',
  'wcf-default-actions':
    "the CertProv binding names no soapAction: the proof port expects WCF's default actions {namespace}{contract}/{operation}",
  'xml-default-namespaces': 'every answer written without prefixes, default namespaces redeclared where they change',
  'xml-rebound-prefixes': 'every element written with the generated prefix p, rebound on each element',
  'xml-hoisted': 'every namespace declared once on the root element, with generated prefixes',
  'xml-padded': 'whitespace and line breaks around URIs, base64 and dates; base64 wrapped at 64 with CRLF',
  chunked: 'every answer sent with chunked transfer encoding instead of Content-Length',
  'pkcs7-first': 'the GetAndPublishCert answer carries the PKCS#7 chain token before the X.509 one',
} as const;

export type WireLayout = keyof typeof WIRE_LAYOUTS;

export const WIRE_LAYOUT_NAMES = Object.keys(WIRE_LAYOUTS) as WireLayout[];

/** An unknown --variant name; one line naming it and the known ones. */
export class UnknownLayoutError extends BootstrapTestError {
  constructor(name: string) {
    super('BT_LAB_OPTION', `unknown variant "${name}" (known: ${WIRE_LAYOUT_NAMES.join(', ')})`);
  }
}

export function parseLayouts(names: readonly string[]): WireLayout[] {
  return names.map((name) => {
    if (!(name in WIRE_LAYOUTS)) throw new UnknownLayoutError(name);
    return name as WireLayout;
  });
}

/** How the answers are to be rewritten under these layouts; undefined when they stay as built. */
export function reshapeFor(layouts: readonly WireLayout[], soap12Request: boolean): ReshapeOptions | undefined {
  const has = (layout: WireLayout): boolean => layouts.includes(layout);
  const prefixes = has('xml-default-namespaces')
    ? 'default-namespaces'
    : has('xml-rebound-prefixes')
      ? 'rebound-prefixes'
      : has('xml-hoisted')
        ? 'hoisted'
        : 'as-written';
  const options: ReshapeOptions = { prefixes, padded: has('xml-padded'), soap12: soap12Request };
  return prefixes === 'as-written' && !options.padded && !options.soap12 ? undefined : options;
}
