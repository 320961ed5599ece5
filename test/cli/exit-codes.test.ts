// The CLI's one table from error code to exit code: usage 2, host 4, everything unexpected 3.

import { describe, expect, it } from 'vitest';
import { EXIT_CODE_OF_ERROR, exitCodeOfError } from '../../src/cli/main.js';
import { BootstrapTestError, ERROR_CODES, LocalEnvironmentError, UsageError } from '../../src/errors.js';
import { InformSocketError } from '../../src/dhcp/inform-socket-errors.js';
import { HexParseError } from '../../src/dhcp/hex.js';
import { ConnectRefusedError } from '../../src/net/errors.js';
import { XmlError } from '../../src/soap/xml.js';

describe('exit code of an error', () => {
  it.each([
    [new UsageError('--port: "x" is not a number'), 2],
    [new BootstrapTestError('BT_PIN_PROMPT_INTERRUPTED', 'PIN prompt interrupted'), 2],
    [new LocalEnvironmentError('--interface: no interface named "eth9"', { code: 'BT_INTERFACE_UNKNOWN' }), 2],
    [new LocalEnvironmentError('cannot listen on 127.0.0.1: EADDRINUSE'), 4],
    [new LocalEnvironmentError('cannot tell which interface', { code: 'BT_INTERFACE_UNDETERMINED' }), 4],
    [new InformSocketError('cannot bind UDP port 68', 'EACCES', 'bind'), 4],
    [new BootstrapTestError('BT_DHCP_INFORM_INTERRUPTED', 'dhcp inform: interrupted'), 1],
    // Errors a command should have turned into a usage error or a stage failure: reaching the top is a bug.
    [new HexParseError('not hex'), 3],
    [new ConnectRefusedError('refused'), 3],
    [new XmlError('malformed', 'bad'), 3],
    [new Error('plain bug'), 3],
    ['a thrown string', 3],
  ])('%o exits %i', (error, exit) => {
    expect(exitCodeOfError(error)).toBe(exit);
  });

  it('has one entry per documented error code', () => {
    expect(Object.keys(EXIT_CODE_OF_ERROR).sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('keeps every code stable and named BT_*', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^BT_[A-Z0-9_]+$/);
  });
});
