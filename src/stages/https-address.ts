// Where a call that carries the PIN or a ticket may go. A WCF service behind a TLS-offloading load
// balancer publishes http:// port addresses in its metadata, although phones reach it over https;
// the secret must never follow such an address in clear text (issue 9). The address is moved onto
// the https origin the metadata itself came from, keeping its path and query. Anything else stays as
// published, and the transport refuses it for a secret-carrying request.

import type { VerboseLog } from './types.js';

/** The URL to send a secret-carrying request to, for a port address read from the metadata at `metadataUrl`. */
export function secureTargetFor(publishedAddress: string, metadataUrl: string): string {
  let published: URL;
  let metadata: URL;
  try {
    published = new URL(publishedAddress);
    metadata = new URL(metadataUrl);
  } catch {
    return publishedAddress;
  }
  if (published.protocol !== 'http:' || metadata.protocol !== 'https:') return publishedAddress;
  return `${metadata.origin}${published.pathname}${published.search}`;
}

/** secureTargetFor, saying in the -v log (and the stage's notes) when the address was moved. */
export function secureTarget(log: VerboseLog, what: string, publishedAddress: string, metadataUrl: string): string {
  const target = secureTargetFor(publishedAddress, metadataUrl);
  if (target !== publishedAddress) {
    log.warn(`${what} published as plain HTTP ${publishedAddress}; using ${target} on the metadata's own https origin so that no secret leaves unencrypted`);
  }
  return target;
}
