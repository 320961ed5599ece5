// The exporter configuration: defaults, and one clear error naming file, line and key for each
// kind of mistake. The PIN never appears in an error.

import { describe, expect, it } from 'vitest';
import { ConfigError, parseExporterConfig, type ConfigEnvironment } from '../../src/exporter/config.js';

const PIN = '24680';
const environment: ConfigEnvironment = {
  env: { LAB_PIN: PIN },
  readFile: async (path) => {
    if (path === '/pins/ok') return `${PIN}\n`;
    if (path === '/pins/letters') return 'abc13579\n';
    throw Object.assign(new Error('missing'), { code: 'ENOENT' });
  },
};

const VALID = `concurrency: 2
modules:
  lab:
    account:
      extension: "7501"
      pin_env: LAB_PIN
      expected_sip_uri: sip:alice@example.com
    discovery:
      target_uri: https://pool01.example.com/CertProv/CertProvisioningService.svc
    budgets:
      timeout: 20s
      min_interval: 5m
      stage_timeouts: { webticket: 1500ms }
    trust:
      resolve: ["pool01.example.com=127.0.0.1"]
  viafile:
    account: { extension: "7502", pin_file: /pins/ok }
`;

async function errorOf(text: string): Promise<string> {
  try {
    await parseExporterConfig(text, 'exporter.yml', environment);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).not.toContain(PIN);
    expect((error as Error).message).not.toContain('\n');
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('parseExporterConfig', () => {
  it('reads modules with their defaults; the PIN is kept apart from the module', async () => {
    const { config, pins } = await parseExporterConfig(VALID, 'exporter.yml', environment);
    expect(config.concurrency).toBe(2);
    expect(config.timeoutMarginMs).toBe(500);
    const lab = config.modules.get('lab');
    expect(lab?.budgets).toEqual({ timeoutMs: 20_000, minIntervalMs: 300_000, stageTimeoutsMs: { webticket: 1500 } });
    expect(lab?.account.pinSource).toBe('env LAB_PIN');
    expect(lab?.trust.resolve).toEqual([{ host: 'pool01.example.com', address: '127.0.0.1' }]);
    expect(config.modules.get('viafile')?.account.pinSource).toBe('file /pins/ok');
    expect(config.modules.get('viafile')?.discovery.dhcp).toEqual({ clientPort: 68, timeoutMs: 3000, tries: 2, listenMs: 1000 });
    expect(pins.get('lab')).toBe(PIN);
    expect(JSON.stringify([...config.modules.values()])).not.toContain(PIN);
  });

  it('selects stages (a subset in run order) and reads certificate reuse with its defaults', async () => {
    const text = VALID.replace('    budgets:', '    stages: [discover, rootchain]\n    budgets:').replace(
      '    account: { extension: "7502", pin_file: /pins/ok }',
      '    account: { extension: "7502", pin_file: /pins/ok }\n    reuse_certificate: { full_interval: 12h, state_dir: /var/lib/bt }',
    );
    const { config } = await parseExporterConfig(text, 'exporter.yml', environment);
    expect(config.modules.get('lab')?.stages).toEqual(['discover', 'rootchain']);
    expect(config.modules.get('lab')?.reuse).toBeUndefined();
    expect(config.modules.get('viafile')?.reuse).toEqual({ fullIntervalMs: 43_200_000, minValidityMs: 3_600_000, stateDir: '/var/lib/bt' });
    const plain = await parseExporterConfig(VALID.replace('    budgets:', '    reuse_certificate: true\n    budgets:'), 'exporter.yml', environment);
    expect(plain.config.modules.get('lab')?.reuse).toEqual({ fullIntervalMs: 86_400_000, minValidityMs: 3_600_000 });
  });

  it('a changed PIN changes the account fingerprint (that ends a latch)', async () => {
    const first = await parseExporterConfig(VALID, 'a.yml', environment);
    const second = await parseExporterConfig(VALID, 'a.yml', { ...environment, env: { LAB_PIN: '97531' } });
    expect(first.config.modules.get('lab')?.account.fingerprint).not.toBe(second.config.modules.get('lab')?.account.fingerprint);
    expect(first.config.modules.get('viafile')?.account.fingerprint).toBe(second.config.modules.get('viafile')?.account.fingerprint);
  });

  it.each([
    ['a bad duration', VALID.replace('timeout: 20s', 'timeout: 20 parsecs'), 'exporter.yml:11: modules.lab.budgets.timeout: "20 parsecs" is not a duration'],
    ['an unknown key', VALID.replace('    discovery:', '    discovry:'), 'exporter.yml:8: modules.lab.discovry: unknown key'],
    ['an unset PIN variable', VALID.replace('pin_env: LAB_PIN', 'pin_env: NO_SUCH_PIN'), 'exporter.yml:6: modules.lab.account.pin_env: the environment variable NO_SUCH_PIN is not set'],
    ['an unreadable PIN file', VALID.replace('/pins/ok', '/pins/missing'), 'exporter.yml:17: modules.viafile.account.pin_file: cannot read "/pins/missing" (ENOENT)'],
    ['a PIN that is not digits', VALID.replace('/pins/ok', '/pins/letters'), 'exporter.yml:17: modules.viafile.account.pin_file: the PIN must be digits only (value not shown)'],
    ['both PIN sources', VALID.replace('pin_file: /pins/ok', 'pin_file: /pins/ok, pin_env: LAB_PIN'), 'exporter.yml:17: modules.viafile.account: give exactly one of pin_file and pin_env'],
    ['a bad extension', VALID.replace('"7501"', '"75O1"'), 'exporter.yml:5: modules.lab.account.extension: "75O1" is not a phone number'],
    ['a bad SIP URI', VALID.replace('sip:alice@example.com', 'alice@example.com'), 'exporter.yml:7: modules.lab.account.expected_sip_uri: "alice@example.com" must start with sip:'],
    ['a bad resolve rule', VALID.replace('pool01.example.com=127.0.0.1', 'pool01.example.com=nowhere'), 'exporter.yml:15: modules.lab.trust.resolve: --resolve "pool01.example.com=nowhere": "nowhere" is not an IP address'],
    ['an unknown stage', VALID.replace('{ webticket: 1500ms }', '{ webtiket: 1500ms }'), 'exporter.yml:13: modules.lab.budgets.stage_timeouts.webtiket: unknown key'],
    ['stages out of order', VALID.replace('    budgets:', '    stages: [rootchain, discover]\n    budgets:'), 'exporter.yml:10: modules.lab.stages: list each stage once, in run order'],
    ['stages without discover', VALID.replace('    budgets:', '    stages: [rootchain]\n    budgets:'), 'exporter.yml:10: modules.lab.stages: the first stage must be discover'],
    ['a PIN path with a gap', VALID.replace('    budgets:', '    stages: [discover, rootchain, webticket, certificate]\n    budgets:'), 'exporter.yml:10: modules.lab.stages: the PIN path runs as a whole: certificate needs certprov-mex, resolveuser, webticket-sip'],
    ['reuse without the certificate stage', VALID.replace('    budgets:', '    stages: [discover, rootchain]\n    reuse_certificate: true\n    budgets:'), 'exporter.yml:11: modules.lab.reuse_certificate: needs the certificate stage'],
    ['a bad full_interval', VALID.replace('    budgets:', '    reuse_certificate: { full_interval: daily }\n    budgets:'), 'exporter.yml:10: modules.lab.reuse_certificate.full_interval: "daily" is not a duration'],
    ['broken YAML', VALID.replace('concurrency: 2', 'concurrency: 2\nconcurrency: 3'), 'exporter.yml:2: not valid YAML: Map keys must be unique'],
    ['no modules', 'concurrency: 2\n', 'exporter.yml:1: modules: at least one module is required'],
    ['a concurrency of 0', VALID.replace('concurrency: 2', 'concurrency: 0'), 'exporter.yml:1: concurrency: expected a whole number in 1..1000'],
  ])('%s: one line naming the line and key', async (_name, text, expected) => {
    expect(await errorOf(text)).toContain(expected);
  });
});
