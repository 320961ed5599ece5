import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { LocalEnvironmentError } from '../../src/errors.js';
import { exitCodeOfError } from '../../src/cli/main.js';

function catchError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
import {
  chooseInterface,
  defaultRouteInterface,
  parseProcNetRoute,
  type HostNetwork,
} from '../../src/dhcp/interfaces.js';

// A /proc/net/route as a Linux host with two uplinks writes it (addresses are little-endian hex).
const ROUTES = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
garbage line
`;

function v4(address: string, netmask: string, mac: string, internal = false): NetworkInterfaceInfo {
  return { address, netmask, mac, internal, family: 'IPv4', cidr: null } as NetworkInterfaceInfo;
}

const HOST: HostNetwork = {
  interfaces: {
    lo: [v4('127.0.0.1', '255.0.0.0', '00:00:00:00:00:00', true)],
    eth0: [v4('169.254.7.7', '255.255.0.0', '02:AA:BB:CC:DD:EE'), v4('192.0.2.2', '255.255.255.0', '02:AA:BB:CC:DD:EE')],
    wlan0: [v4('192.168.1.50', '255.255.255.0', '02:11:22:33:44:55')],
    tun0: [],
  },
  routes: parseProcNetRoute(ROUTES),
};

describe('parseProcNetRoute', () => {
  it('reads destinations, gateways and masks in dotted form and skips malformed lines', () => {
    const routes = parseProcNetRoute(ROUTES);
    expect(routes).toHaveLength(3);
    expect(routes[1]).toEqual({
      iface: 'eth0',
      destination: '0.0.0.0',
      gateway: '192.0.2.1',
      mask: '0.0.0.0',
      flags: 3,
      metric: 100,
    });
    expect(routes[2]?.destination).toBe('192.0.2.0');
    expect(routes[2]?.mask).toBe('255.255.255.0');
  });

  it('picks the default route with the lowest metric', () => {
    expect(defaultRouteInterface(parseProcNetRoute(ROUTES))?.iface).toBe('eth0');
    expect(defaultRouteInterface([])).toBeUndefined();
  });

  it('returns nothing for text without the expected header', () => {
    expect(parseProcNetRoute('hello\nworld')).toEqual([]);
  });
});

describe('chooseInterface', () => {
  it('uses the default route and the address in the gateway subnet, MAC in lower case', () => {
    expect(chooseInterface({}, HOST)).toEqual({
      name: 'eth0',
      address: '192.0.2.2',
      mac: '02:aa:bb:cc:dd:ee',
      reason: 'default-route',
    });
  });

  it('honours --interface', () => {
    expect(chooseInterface({ requested: 'wlan0' }, HOST)).toMatchObject({ name: 'wlan0', address: '192.168.1.50' });
  });

  it('uses loopback when the DHCP server is a loopback address', () => {
    expect(chooseInterface({ serverAddress: '127.0.0.1' }, HOST)).toMatchObject({
      name: 'lo',
      address: '127.0.0.1',
      reason: 'loopback-server',
    });
  });

  it('names the candidates when the requested interface does not exist or has no IPv4 address', () => {
    expect(() => chooseInterface({ requested: 'eth9' }, HOST)).toThrow(expect.objectContaining({ code: 'BT_INTERFACE_UNKNOWN' }));
    expect(exitCodeOfError(catchError(() => chooseInterface({ requested: 'eth9' }, HOST)))).toBe(2);
    expect(() => chooseInterface({ requested: 'eth9' }, HOST)).toThrow(/no interface named "eth9".*eth0 169\.254\.7\.7\/192\.0\.2\.2.*wlan0 192\.168\.1\.50/);
    expect(() => chooseInterface({ requested: 'tun0' }, HOST)).toThrow(/tun0 has no IPv4 address/);
  });

  it('falls back to the only external interface when there is no routing table', () => {
    const host: HostNetwork = { interfaces: { lo: HOST.interfaces.lo, wlan0: HOST.interfaces.wlan0 } };
    expect(chooseInterface({}, host)).toMatchObject({ name: 'wlan0', reason: 'only-candidate' });
  });

  it('asks for --interface, listing candidates, when nothing decides', () => {
    const host: HostNetwork = { interfaces: HOST.interfaces, routes: [] };
    let thrown: unknown;
    try {
      chooseInterface({}, host);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LocalEnvironmentError);
    expect((thrown as Error).message).toMatch(/there is no default route\); choose one with --interface NAME/);
    expect((thrown as Error).message).toMatch(/wlan0 192\.168\.1\.50/);
    expect(exitCodeOfError(thrown)).toBe(4);
  });
});
