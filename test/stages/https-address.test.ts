// Where a secret-carrying call goes when the metadata publishes its port address (issue 9, item 1).

import { describe, expect, it } from 'vitest';
import { secureTarget, secureTargetFor } from '../../src/stages/https-address.js';
import type { VerboseLog } from '../../src/stages/types.js';

const MEX = 'https://pool01.example.test:4443/WebTicket/WebTicketService.svc/mex';

describe('secureTargetFor', () => {
  it.each([
    ['http on another port moves to the metadata origin, path and query kept', 'http://pool01.example.test:80/WebTicket/WebTicketService.svc/Pin?a=1', 'https://pool01.example.test:4443/WebTicket/WebTicketService.svc/Pin?a=1'],
    ['http on another host moves to the metadata host', 'http://fe01.internal.test/WebTicket/WebTicketService.svc/Pin', 'https://pool01.example.test:4443/WebTicket/WebTicketService.svc/Pin'],
    ['https stays as published, even on another host', 'https://other.example.test/WebTicket/WebTicketService.svc/Pin', 'https://other.example.test/WebTicket/WebTicketService.svc/Pin'],
    ['another scheme stays (the transport refuses it)', 'ftp://pool01.example.test/Pin', 'ftp://pool01.example.test/Pin'],
    ['an unparsable address stays (the transport refuses it)', 'not a url', 'not a url'],
  ])('%s', (_, published, expected) => {
    expect(secureTargetFor(published, MEX)).toBe(expected);
  });

  it('never moves an address onto a metadata origin that is not https', () => {
    expect(secureTargetFor('http://a.test/Pin', 'http://b.test/mex')).toBe('http://a.test/Pin');
  });

  it('drops the default port of the metadata origin rather than keeping the published one', () => {
    expect(secureTargetFor('http://pool01.example.test:8080/Pin', 'https://pool01.example.test/mex')).toBe('https://pool01.example.test/Pin');
  });
});

describe('secureTarget', () => {
  function recordingLog(): { log: VerboseLog; warnings: string[] } {
    const warnings: string[] = [];
    const ignore = (): void => undefined;
    return { log: { step: ignore, inferred: ignore, defaulted: ignore, detail: ignore, warn: (text) => warnings.push(text) }, warnings };
  }

  it('says in the log when it moved an address, naming both URLs', () => {
    const { log, warnings } = recordingLog();
    expect(secureTarget(log, 'PIN port', 'http://pool01.example.test/Pin', MEX)).toBe('https://pool01.example.test:4443/Pin');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('http://pool01.example.test/Pin');
    expect(warnings[0]).toContain('https://pool01.example.test:4443/Pin');
  });

  it('says nothing when the address is already https', () => {
    const { log, warnings } = recordingLog();
    secureTarget(log, 'PIN port', 'https://pool01.example.test/Pin', MEX);
    expect(warnings).toEqual([]);
  });
});
