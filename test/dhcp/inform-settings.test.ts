import { describe, expect, test } from 'vitest';
import { labSettings } from '../../src/cli/demo.js';
import { DEFAULT_TIMEOUT_MS, DEFAULT_TRIES, informSettings, planTransmissions, RFC2131_RETRANSMIT } from '../../src/dhcp/inform-settings.js';

// The earliest and the latest jitter RFC 2131 allows (random() in [0, 1)).
const JITTERS = { earliest: () => 0, latest: () => 0.999_999 };

describe('INFORM defaults fit together', () => {
  test.each(Object.entries(JITTERS))('every default try is sent inside the default timeout (%s jitter)', (_, random) => {
    const plan = planTransmissions(DEFAULT_TRIES, DEFAULT_TIMEOUT_MS, RFC2131_RETRANSMIT, random);
    expect(plan).toHaveLength(DEFAULT_TRIES);
    expect(DEFAULT_TRIES).toBeGreaterThanOrEqual(2);
  });

  test('informSettings fills every default and keeps what is chosen', () => {
    expect(informSettings({ clientPort: 0 })).toEqual({
      clientPort: 0,
      vendorClass: 'MS-UC-Client',
      hostName: 'bootstrap-test',
      extraRequestedOptions: [],
      timeoutMs: DEFAULT_TIMEOUT_MS,
      tries: DEFAULT_TRIES,
      listenMs: 1000,
    });
  });

  test.each(Object.entries(JITTERS))("the lab's DHCP settings retransmit inside their timeout (%s jitter)", (_, random) => {
    const lab = { fqdn: 'pool01.lab.test', host: '127.0.0.1', ports: { http: 1, https: 2, dhcp: 3 }, sampleUser: { phoneOrExt: '7501', sipUri: 'sip:a@lab.test' } };
    const { dhcp } = labSettings(lab as Parameters<typeof labSettings>[0]);
    expect(dhcp.tries).toBeGreaterThanOrEqual(2);
    expect(planTransmissions(dhcp.tries, dhcp.timeoutMs, RFC2131_RETRANSMIT, random)).toHaveLength(dhcp.tries);
  });
});
