// The example users file shipped in fixtures/lab: every user behaves as its description says.

import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDirectory, startLab, type Lab } from '../../src/lab/index.js';
import { parseEnvelope } from '../../src/soap/envelope.js';
import { requestTicket } from './helpers.js';

let lab: Lab;
beforeAll(async () => {
  const text = await readFile(new URL('../../fixtures/lab/users.example.json', import.meta.url), 'utf8');
  lab = await startLab({ directory: parseDirectory(text, 'users.example.json'), dhcp: false });
});
afterAll(() => lab.stop());

async function outcome(phoneOrExt: string, pin: string): Promise<string> {
  const { reply, ticket } = await requestTicket(lab, { phoneOrExt, pin });
  if (ticket) return /NameIdentifier[^>]*>([^<]+)</.exec(ticket.assertionXml)?.[1] ?? 'ticket';
  const message = parseEnvelope(reply.text);
  return message.kind === 'fault' ? `ErrorId ${message.fault.errorId}` : `HTTP ${reply.status}`;
}

describe('fixtures/lab/users.example.json', () => {
  it.each([
    ['7501', '14789', 'sip:lobby.phone@example.test'],
    ['234', '24680', 'sip:reception@example.test'],
    ['+14157773000', '24680', 'ErrorId 28903'],
    ['7600', '33221', 'sip:chicago.hotdesk@example.test'],
    ['7600', '11223', 'ErrorId 28904'],
    ['7700', '55667', 'ErrorId 28906'],
    ['7800', '77889', 'ErrorId 28000'],
    ['7900', '99001', 'ErrorId 28902'],
  ])('%s with its PIN -> %s', async (phoneOrExt, pin, expected) => {
    expect(await outcome(phoneOrExt, pin)).toBe(expected);
  });
});
