// Types for the node-forge file the client imports by path (src/pki/csr.ts, src/sip): its ASN.1
// codec, which the package's types declare only as part of the whole library.
declare module 'node-forge/lib/asn1.js' {
  import type forge from 'node-forge';
  const asn1: typeof forge.asn1;
  export default asn1;
}
