// Every namespace, action and URI value the SOAP layer writes or recognises, in one place.
// Reading never depends on these (responses are matched by local name); writing always uses them.

/** SOAP envelopes. */
export const SOAP11_ENVELOPE = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12_ENVELOPE = 'http://www.w3.org/2003/05/soap-envelope';

/** WS-Trust 1.3 (the namespace of RequestSecurityToken and friends). */
export const WST = 'http://docs.oasis-open.org/ws-sx/ws-trust/200512';
/**
 * The same namespace with a trailing slash, as pidgin-sipe declares it inside GetAndPublishCert
 * (a client known to work against real pools). Used only for that body; readers ignore namespaces.
 */
export const WST_CERTPROV = 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/';
/** The February 2005 trust namespace; real clients still send its Issue URI as RequestType. */
export const WST_2005_02 = 'http://schemas.xmlsoap.org/ws/2005/02/trust';

export const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
export const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
export const WSA = 'http://www.w3.org/2005/08/addressing';
export const WSA_ANONYMOUS = 'http://www.w3.org/2005/08/addressing/anonymous';
export const WSP = 'http://schemas.xmlsoap.org/ws/2004/09/policy';
export const SP = 'http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702';
export const DS = 'http://www.w3.org/2000/09/xmldsig#';
export const SAML11_ASSERTION = 'urn:oasis:names:tc:SAML:1.0:assertion';
export const AUTH = 'http://schemas.xmlsoap.org/ws/2006/12/authorization';
export const WSDL = 'http://schemas.xmlsoap.org/wsdl/';
export const WSDL_SOAP11 = 'http://schemas.xmlsoap.org/wsdl/soap/';
export const WSDL_SOAP12 = 'http://schemas.xmlsoap.org/wsdl/soap12/';
export const MEX = 'http://schemas.xmlsoap.org/ws/2004/09/mex';
/** WS-Transfer Get: the action of a WS-MetadataExchange request over SOAP (what WCF's mex endpoint answers). */
export const ACTION_WS_TRANSFER_GET = 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Get';
export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
export const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/** Lync/OCS authentication web services ([MS-OCAUTHWS]). */
export const OCS_AUTH = 'http://schemas.microsoft.com/OCS/AuthWebServices/';
export const OCS_DIAGNOSTICS_FAULT = 'urn:component:Microsoft.Rtc.WebAuthentication.2010';
export const WSTEP = 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment';

/** Token, request and key types. */
export const TOKEN_TYPE_SAML11 = 'http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1';
export const TOKEN_TYPE_X509V3 =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3';
export const REQUEST_TYPE_ISSUE_2005_02 = `${WST_2005_02}/Issue`;
export const REQUEST_TYPE_ISSUE = `${WST}/Issue`;
export const KEY_TYPE_SYMMETRIC = `${WST}/SymmetricKey`;
export const COMPUTED_KEY_PSHA1 = `${WST}/CK/PSHA1`;
export const BINARY_SECRET_NONCE = `${WST}/Nonce`;

/** Claims carried in the web-ticket request. */
export const AUTH_CLAIMS_DIALECT = 'urn:component:Microsoft.Rtc.WebAuthentication.2010:authclaims';
export const CLAIM_TYPE_URI = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/uri';

/** WS-Security value and encoding types. */
export const WSS_BASE64_BINARY =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';
export const WSSE_BASE64_BINARY = `${WSSE}#Base64Binary`;
export const WSS_PASSWORD_TEXT =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText';
export const VALUE_TYPE_PKCS10 = 'http://schemas.microsoft.com/OCS/AuthWebServices.xsd#PKCS10';
export const VALUE_TYPE_PKCS7 = 'http://schemas.microsoft.com/OCS/AuthWebServices.xsd#PKCS7';
export const VALUE_TYPE_SAML_ASSERTION_ID =
  'http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.0#SAMLAssertionID';

/** XML signature algorithms used by the ticket proof. */
export const ALG_EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const ALG_HMAC_SHA1 = 'http://www.w3.org/2000/09/xmldsig#hmac-sha1';
export const ALG_SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';

/** SOAP actions. Where the WSDL names one, the WSDL's value wins (protocol.md section 4). */
export const ACTION_RST_ISSUE = `${WST}/RST/Issue`;
export const ACTION_RSTRC_ISSUE_FINAL = `${WST}/RSTRC/IssueFinal`;
export const ACTION_GET_AND_PUBLISH_CERT = `${OCS_AUTH}GetAndPublishCert`;
export const ACTION_RESOLVE_USER = `${OCS_AUTH}ResolveUser`;
export const ACTION_GET_ROOT_CERT_CHAIN = `${OCS_AUTH}GetRootCertChain`;
