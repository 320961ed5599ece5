// What a phone needs from the pool after its certificate: an NTP server, DNS for the SIP domain (SRV
// _sipinternaltls._tcp and _ntp._udp, A records) and the TLS-DSK registrar. One place starts, re-faults
// and stops the three, so pool.ts only wires them in.

import { isInsideDomain } from '../dns/registrar-lookup.js';
import { startDnsResponder, type DnsLabFault, type LabZone } from './dns-responder.js';
import type { FaultSet } from './faults.js';
import type { PoolPki } from './pool-pki.js';
import { LabRegistrar } from './sip-registrar.js';
import { startSntpResponder, type SntpLabFault } from './sntp-responder.js';
import type { UdpResponder } from './udp-responder.js';

export interface SignInServicesOptions {
  host: string;
  pki: PoolPki;
  /** Option 120. */
  registrarFqdn: string;
  sipDomain: string;
  stsUri: string;
  published: ReadonlyMap<string, string>;
  currentFaults: () => FaultSet;
  now: () => number;
  log: (line: string) => void;
}

export interface SignInServices {
  ports: { sip: number; dns: number; ntp: number };
  /** The SRV target: the option-120 name when it is inside the SIP domain, else sip.<domain>. */
  registrarHost: string;
  homePoolHost: string;
  applyFaults(faults: FaultSet): void;
  close(): Promise<void>;
}

function sntpFault(faults: FaultSet): SntpLabFault | undefined {
  if (faults.has('ntp-silent')) return { kind: 'silent' };
  if (faults.has('ntp-unsynchronised')) return { kind: 'unsynchronised' };
  const offsetSeconds = faults.numeric('ntp-offset');
  return offsetSeconds === undefined ? undefined : { kind: 'offset', offsetMs: offsetSeconds * 1000 };
}

function dnsFault(faults: FaultSet): DnsLabFault | undefined {
  if (faults.has('dns-srv-nxdomain')) return 'nxdomain';
  if (faults.has('dns-srv-outside-domain')) return 'target-outside-domain';
  if (faults.has('dns-srv-target-nodata')) return 'nodata';
  return undefined;
}

export async function startSignInServices(options: SignInServicesOptions): Promise<SignInServices> {
  const { host, sipDomain } = options;
  const address = host === 'localhost' ? '127.0.0.1' : host;
  const registrarHost = isInsideDomain(options.registrarFqdn, sipDomain) ? options.registrarFqdn : `sip.${sipDomain}`;
  const homePoolHost = `pool02.${sipDomain}`;
  const started: Array<{ close(): Promise<void> }> = [];
  try {
    const ntp = await startSntpResponder({ host, port: 0, currentFault: () => sntpFault(options.currentFaults()), now: options.now });
    started.push(ntp);
    const registrar = new LabRegistrar({
      host,
      port: 0,
      pki: options.pki,
      registrarFqdn: registrarHost,
      extraNames: [options.registrarFqdn],
      homePoolFqdn: homePoolHost,
      stsUri: options.stsUri,
      published: options.published,
      currentFaults: options.currentFaults,
      now: options.now,
      log: options.log,
    });
    await registrar.listen();
    started.push(registrar);
    const zone: LabZone = {
      sipDomain,
      registrarHost,
      registrarPort: registrar.port,
      ntpHost: `ntp.${sipDomain}`,
      ntpPort: ntp.port,
      addresses: { [registrarHost]: address, [options.registrarFqdn]: address, [homePoolHost]: address, [`ntp.${sipDomain}`]: address },
      outsideTarget: `sip.${sipDomain}.elsewhere.test`,
    };
    const dns: UdpResponder = await startDnsResponder({ host, port: 0, zone, currentFault: () => dnsFault(options.currentFaults()) });
    started.push(dns);
    return {
      ports: { sip: registrar.port, dns: dns.port, ntp: ntp.port },
      registrarHost,
      homePoolHost,
      applyFaults: (faults) => registrar.applyFaults(faults),
      close: async () => {
        await Promise.all(started.map((service) => service.close()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((service) => service.close()));
    throw error;
  }
}
