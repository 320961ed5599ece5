import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../src/report/redact.js';
import { PHONE_LOG, createVerboseLog } from '../../src/report/verbose.js';

function clock(times: number[]) {
  let index = 0;
  return () => times[Math.min(index++, times.length - 1)]!;
}

describe('verbose log', () => {
  it('prefixes each line with the elapsed ms since the run started', () => {
    const out: string[] = [];
    const log = createVerboseLog({ write: (text) => out.push(text), redact: createRedactor(), now: clock([1000, 1000, 1123.4, 1200]) });
    log.step(PHONE_LOG.constructingDhcpPacket());
    log.step(PHONE_LOG.connecting('http://pool/CertProv/CertProvisioningService.svc'));
    expect(out).toEqual([
      '[+    0 ms] Constructing a dhcp packet\n',
      '[+  123 ms] Connecting to web service : http://pool/CertProv/CertProvisioningService.svc\n',
    ]);
  });

  it('marks inferred shapes and documented defaults', () => {
    const out: string[] = [];
    const log = createVerboseLog({ write: (text) => out.push(text), redact: createRedactor(), now: clock([0, 5, 7]) });
    log.inferred('PIN credential as a UsernameToken with the PIN as plain text');
    log.defaulted('GetRootCertChain SOAP action (the service published no WSDL)');
    expect(out[0]).toBe('[+    5 ms] inferred: PIN credential as a UsernameToken with the PIN as plain text\n');
    expect(out[1]).toBe('[+    7 ms] default: GetRootCertChain SOAP action (the service published no WSDL)\n');
    expect(log.entries.map((entry) => entry.kind)).toEqual(['inferred', 'defaulted']);
  });

  it('never writes the PIN, in steps or in request bodies', () => {
    const out: string[] = [];
    const log = createVerboseLog({ write: (text) => out.push(text), redact: createRedactor(['14789']) });
    log.step(PHONE_LOG.pinAuth());
    log.step('Requesting new web ticket for 7501 with PIN 14789');
    log.detail('request', '<s:Envelope>\n<o:Password>14789</o:Password>\n<Entropy><BinarySecret>AAAA</BinarySecret></Entropy>\n</s:Envelope>');
    const text = out.join('');
    expect(text).not.toContain('14789');
    expect(text).not.toContain('AAAA');
    expect(text).toContain('Using PIN authentication');
    expect(log.entries.map((entry) => entry.text).join('\n')).not.toContain('14789');
  });

  it('indents detail blocks under the time column', () => {
    const out: string[] = [];
    const log = createVerboseLog({ write: (text) => out.push(text), redact: createRedactor(), now: clock([0, 42]) });
    log.detail('option 43', 'sub 1: MS-UC-Client\r\nsub 2: https');
    expect(out[0]).toBe('[+   42 ms] option 43\n            sub 1: MS-UC-Client\n            sub 2: https\n');
  });

  it('only collects entries when there is nowhere to write', () => {
    const log = createVerboseLog({ redact: createRedactor() });
    log.step('quiet');
    expect(log.entries).toHaveLength(1);
  });

  it("words steps like the cmdlet's log", () => {
    expect(PHONE_LOG.searchingEndpoint('CertProvisioningServiceWebTicketProof')).toBe('Searching for end point with name CertProvisioningServiceWebTicketProof');
    expect(PHONE_LOG.requestingCertificate('alice@lab.test', '{GUID}')).toBe('Requesting certificate for User:alice@lab.test EndpointID:{GUID}');
    expect(PHONE_LOG.callSucceeded('GetRootCertChain')).toBe('GetRootCertChain() webservice call successful');
    expect(PHONE_LOG.activityCompleted('GetWebTicket', 58.6075)).toBe("'GetWebTicket' activity completed in '0.0586075' seconds");
  });
});
