// `bootstrap-test dhcp decode`: take apart what an administrator pastes from Wireshark or saves with
// tcpdump: a whole DHCP message, a frame, a capture file, or one option 43/119/120 value.

import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import { UsageError } from '../errors.js';

interface DecodeCliOptions {
  file?: string;
  option?: string;
  json?: boolean;
}

export function registerDhcpDecode(dhcp: Command): void {
  dhcp
    .command('decode')
    .description('decode a DHCP message, a capture, or an option 43/119/120 value given as hex')
    .argument('[hex...]', 'hex bytes; spaces, colons, 0x prefixes and hex dumps with offsets are accepted')
    .option('--file <path>', 'read hex text, a raw DHCP message, or a pcap/pcapng capture from this file ("-" = stdin)')
    .option('--option <code>', 'decode the input as the value of option 43, 119 or 120 instead of guessing')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Exit codes: 0 decoded without errors, 1 decoded but with errors (see Problems), 2 unusable input.

Examples:
  bootstrap-test dhcp decode 00046C796E63077363686572747A056C6F63616C00
  bootstrap-test dhcp decode --option 43 "01 0c 4d 53 2d 55 43 2d 43 6c 69 65 6e 74 ..."
  bootstrap-test dhcp decode --file inform.pcap --json`,
    )
    .action(async (hexArgs: string[], options: DecodeCliOptions) => {
      const option = parseOptionCode(options.option);
      const [hexModule, inspect] = await Promise.all([import('../dhcp/hex.js'), import('../dhcp/inspect.js')]);
      let bytes: Uint8Array;
      if (options.file !== undefined) {
        if (hexArgs.length > 0) throw new UsageError('give either hex on the command line or --file, not both');
        bytes = await readInput(options.file, hexModule, inspect);
      } else {
        if (hexArgs.length === 0) throw new UsageError('nothing to decode: give hex bytes or --file PATH');
        bytes = parseHexOrFail(hexArgs.join(' '), 'the hex argument', hexModule);
      }
      let inspection;
      try {
        inspection = option === undefined ? inspect.inspectBytes(bytes) : inspect.inspectBytes(bytes, option);
      } catch (error) {
        if (error instanceof inspect.UnusableInputError) throw new UsageError(error.message);
        const { CaptureFormatError } = await import('../dhcp/pcap.js');
        if (error instanceof CaptureFormatError) throw new UsageError(`${options.file ?? 'input'}: ${error.message}`);
        throw error;
      }
      process.stdout.write(
        options.json ? `${JSON.stringify(inspect.inspectionToJSON(inspection), null, 2)}\n` : inspect.renderInspection(inspection),
      );
      if (inspect.inspectionFailed(inspection)) process.exitCode = EXIT.failed;
    });
}

function parseOptionCode(text: string | undefined): 43 | 119 | 120 | undefined {
  if (text === undefined) return undefined;
  const code = Number(text.trim());
  if (code === 43 || code === 119 || code === 120) return code;
  throw new UsageError(`--option: "${text}" is not 43, 119 or 120`);
}

function parseHexOrFail(text: string, where: string, hex: typeof import('../dhcp/hex.js')): Uint8Array {
  try {
    const bytes = hex.parseHex(text);
    if (bytes.length === 0) throw new UsageError(`${where}: no hex bytes found`);
    return bytes;
  } catch (error) {
    if (error instanceof hex.HexParseError) throw new UsageError(`${where}: ${error.message}`);
    throw error;
  }
}

async function readInput(
  path: string,
  hex: typeof import('../dhcp/hex.js'),
  inspect: typeof import('../dhcp/inspect.js'),
): Promise<Uint8Array> {
  let content: Uint8Array;
  try {
    if (path === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      content = Buffer.concat(chunks);
    } else {
      const { readFile } = await import('node:fs/promises');
      content = await readFile(path);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new UsageError(`--file: cannot read "${path}"${code ? ` (${code})` : ''}`);
  }
  if (content.length === 0) throw new UsageError(`--file: "${path}" is empty`);
  // Binary input: a capture, or a raw DHCP message as some tools save the UDP payload.
  if (inspect.isBinaryInput(content)) return content;
  return parseHexOrFail(Buffer.from(content).toString('latin1'), `--file ${path}`, hex);
}
