import { describe, expect, it } from 'vitest';
import { addressingHeaders, buildEnvelope, parseEnvelope, parseMsDiagnostics } from '../../src/soap/envelope.js';
import { buildFaultEnvelope, formatMsDiagnostics } from '../../src/lab/wire/fault.js';
import { SOAP11_ENVELOPE, WSA, WSA_ANONYMOUS } from '../../src/soap/namespaces.js';
import { child, textOf } from '../../src/soap/xml.js';

describe('building', () => {
  it('writes a SOAP 1.1 envelope with addressing headers that parses back', () => {
    const xml = buildEnvelope({
      header: addressingHeaders({ to: 'https://pool/x?a=1&b=2', action: 'urn:act', messageId: 'uuid:1' }),
      body: '<Op xmlns="urn:op"/>',
    });
    const message = parseEnvelope(xml);
    expect(message.kind).toBe('body');
    if (message.kind !== 'body') return;
    expect(message.version).toBe('1.1');
    expect(message.envelope.ns).toBe(SOAP11_ENVELOPE);
    expect(message.payload?.name).toBe('Op');
    expect(textOf(child(message.header, 'To'))).toBe('https://pool/x?a=1&b=2');
    expect(child(message.header, 'To')?.ns).toBe(WSA);
    expect(textOf(child(message.header, 'ReplyTo', 'Address'))).toBe(WSA_ANONYMOUS);
    expect(textOf(child(message.header, 'MessageID'))).toBe('uuid:1');
    expect(textOf(child(message.header, 'Action'))).toBe('urn:act');
  });

  it('gives each message a fresh uuid: MessageID by default', () => {
    const a = addressingHeaders({ to: 't', action: 'a' });
    const b = addressingHeaders({ to: 't', action: 'a' });
    expect(a).toMatch(/<wsa:MessageID>uuid:[0-9a-f-]{36}<\/wsa:MessageID>/);
    expect(a).not.toBe(b);
  });
});

describe('faults', () => {
  it('reads a Lync fault with OCSDiagnosticsFault in a default namespace', () => {
    const message = parseEnvelope(
      buildFaultEnvelope({
        code: 'wsse:FailedAuthentication',
        reason: 'The security token could not be authenticated or authorized',
        diagnostics: { errorId: '28020', reason: 'No valid security token.' },
      }),
    );
    expect(message.kind).toBe('fault');
    if (message.kind !== 'fault') return;
    expect(message.fault).toMatchObject({
      code: 'wsse:FailedAuthentication',
      codeName: 'FailedAuthentication',
      reason: 'The security token could not be authenticated or authorized',
      errorId: '28020',
      diagnosticReason: 'No valid security token.',
    });
  });

  it('reads the same fault written with other prefixes, order and whitespace', () => {
    const xml = `<?xml version="1.0"?>
      <soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
        <soapenv:Body>
          <soapenv:Fault>
            <detail>
              <d:OCSDiagnosticsFault xmlns:d="urn:component:Microsoft.Rtc.WebAuthentication.2010">
                <d:Ms-Diagnostics-Fault>
                  <d:Reason>User is not SIP enabled.</d:Reason>
                  <d:ErrorId> 28000 </d:ErrorId>
                </d:Ms-Diagnostics-Fault>
              </d:OCSDiagnosticsFault>
            </detail>
            <faultstring>Access denied</faultstring>
            <faultcode xmlns:q="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">q:FailedAuthentication</faultcode>
          </soapenv:Fault>
        </soapenv:Body>
      </soapenv:Envelope>`;
    const message = parseEnvelope(xml);
    expect(message.kind === 'fault' && message.fault).toMatchObject({
      code: 'q:FailedAuthentication',
      codeName: 'FailedAuthentication',
      errorId: '28000',
      diagnosticReason: 'User is not SIP enabled.',
      reason: 'Access denied',
    });
  });

  it('reads a SOAP 1.2 fault with nested subcodes and a Reason/Text', () => {
    const xml =
      '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><e:Fault>' +
      '<e:Code><e:Value>e:Sender</e:Value><e:Subcode><e:Value xmlns:a="urn:x">a:InvalidSecurity</e:Value>' +
      '<e:Subcode><e:Value xmlns:a="urn:x">a:FailedAuthentication</e:Value></e:Subcode></e:Subcode></e:Code>' +
      '<e:Reason><e:Text xml:lang="en">denied</e:Text></e:Reason>' +
      '<e:Detail><OCSDiagnosticsFault xmlns="urn:component:Microsoft.Rtc.WebAuthentication.2010"><Ms-Diagnostics-Fault><ErrorId>28001</ErrorId><Reason>Internal error</Reason></Ms-Diagnostics-Fault></OCSDiagnosticsFault></e:Detail>' +
      '</e:Fault></e:Body></e:Envelope>';
    const message = parseEnvelope(xml);
    expect(message.kind).toBe('fault');
    if (message.kind !== 'fault') return;
    expect(message.version).toBe('1.2');
    expect(message.fault).toMatchObject({
      code: 'e:Sender',
      subcodes: ['a:InvalidSecurity', 'a:FailedAuthentication'],
      codeName: 'FailedAuthentication',
      reason: 'denied',
      errorId: '28001',
    });
  });

  it('leaves errorId undefined for a plain fault without diagnostics', () => {
    const message = parseEnvelope(buildFaultEnvelope({ code: 's:Server', reason: 'boom' }));
    expect(message.kind === 'fault' && message.fault.errorId).toBeUndefined();
    expect(message.kind === 'fault' && message.fault.codeName).toBe('Server');
  });
});

describe('invalid input', () => {
  it.each([
    ['', /empty/],
    ['<html><body>502 Bad Gateway</body></html>', /not a SOAP Envelope/],
    ['<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header/></s:Envelope>', /no Body/],
    ['<s:Envelope xmlns:s="x"><s:Body>', /malformed/],
  ])('%j → invalid, not an exception', (xml, reason) => {
    const message = parseEnvelope(xml);
    expect(message.kind).toBe('invalid');
    expect(message.kind === 'invalid' && message.reason).toMatch(reason);
  });
});

describe('X-Ms-diagnostics', () => {
  it('parses the documented form', () => {
    expect(
      parseMsDiagnostics('28020;source="pool01.contoso.com";reason="No valid security token.";fault="wsse:FailedAuthentication"'),
    ).toMatchObject({ errorId: '28020', source: 'pool01.contoso.com', reason: 'No valid security token.', fault: 'wsse:FailedAuthentication' });
  });

  it.each([
    ['28000; source = "fe1.contoso.com" ; Reason="User is not SIP enabled."', { errorId: '28000', source: 'fe1.contoso.com', reason: 'User is not SIP enabled.' }],
    ['28001;source=fe1;reason="a; b = c"', { errorId: '28001', source: 'fe1', reason: 'a; b = c' }],
    ['28002;reason="say \\"hi\\""', { errorId: '28002', reason: 'say "hi"' }],
    ['  28003  ', { errorId: '28003' }],
  ])('tolerates %j', (header, expected) => {
    expect(parseMsDiagnostics(header)).toMatchObject(expected);
  });

  it('takes the first usable value of a repeated header and refuses garbage', () => {
    expect(parseMsDiagnostics(['garbage', '28020;reason="x"'])?.errorId).toBe('28020');
    expect(parseMsDiagnostics('no id here')).toBeUndefined();
    expect(parseMsDiagnostics(undefined)).toBeUndefined();
  });

  it('formats what it parses', () => {
    const header = formatMsDiagnostics({ errorId: '28020', source: 'pool', reason: 'He said "no"; twice', fault: 'wsse:FailedAuthentication' });
    expect(parseMsDiagnostics(header)).toMatchObject({ errorId: '28020', source: 'pool', reason: 'He said "no"; twice', fault: 'wsse:FailedAuthentication' });
  });
});
