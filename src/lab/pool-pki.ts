// The certificates of one lab pool: its CA (generated, or kept in --ca-dir so that a trust decision
// survives restarts), the HTTPS certificate for the pool FQDN, and the wrong certificates that the TLS
// faults serve. Only the CA key and the server key are generated at start, in parallel; keys that only
// a fault needs are generated the first time that fault is switched on.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createRootCa,
  issueServerCertificate,
  loadCertificateAuthority,
  privateKeyPem,
  type CertificateAuthority,
  type IssuedCertificate,
} from './ca.js';
import { startKeyGeneration, type RsaKeys } from '../pki/keys.js';
import { BootstrapTestError } from '../errors.js';

export const CA_CERT_FILE = 'lab-ca.pem';
export const CA_KEY_FILE = 'lab-ca.key';

const DAY_MS = 86_400_000;

/** Which certificate the HTTPS listener presents. */
export type TlsIdentity = 'pool' | 'name-mismatch' | 'other-ca' | 'expired';

export interface TlsMaterial {
  key: string;
  cert: string;
}

export interface PoolPkiOptions {
  fqdn: string;
  /** Extra DNS names on the pool certificate (the FQDN is always first). */
  extraDnsNames?: string[];
  caDir?: string;
  keyBits?: number;
  now: Date;
  /** Key generation already under way (the CLI starts it before it loads the lab, to overlap the two). */
  keyPairs?: { ca?: Promise<RsaKeys>; server?: Promise<RsaKeys> };
}

/** A readable problem with --ca-dir: names the directory and the file. */
export class CaDirError extends BootstrapTestError {
  constructor(message: string) {
    super('BT_CA_DIR', message);
  }
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CaDirError(`${path}: cannot read (${(error as Error).message})`);
  }
}

function labCaSubject(): { commonName: string; organization: string } {
  return { commonName: 'bootstrap-test Lab Root CA', organization: 'bootstrap-test lab pool' };
}

/**
 * The CA from `caDir` when it holds one; otherwise a new CA, written there when a directory was given.
 * `created` says which happened, for the start-up banner.
 */
async function obtainCa(options: PoolPkiOptions): Promise<{ ca: CertificateAuthority; created: boolean }> {
  const bits = options.keyBits ?? 2048;
  if (options.caDir !== undefined) {
    const certPath = join(options.caDir, CA_CERT_FILE);
    const keyPath = join(options.caDir, CA_KEY_FILE);
    const [certPem, keyPem] = await Promise.all([readIfPresent(certPath), readIfPresent(keyPath)]);
    if (certPem !== undefined && keyPem !== undefined) {
      try {
        const ca = loadCertificateAuthority(certPem, keyPem, options.caDir);
        if (new Date(ca.certificate.x509.validTo).getTime() <= options.now.getTime()) {
          throw new CaDirError(`${certPath}: the lab CA expired on ${ca.certificate.x509.validTo}; delete both files to make a new one`);
        }
        return { ca, created: false };
      } catch (error) {
        if (error instanceof CaDirError) throw error;
        throw new CaDirError((error as Error).message);
      }
    }
    if (certPem !== undefined || keyPem !== undefined) {
      const missing = certPem === undefined ? certPath : keyPath;
      throw new CaDirError(`${missing}: missing (the CA needs both ${CA_CERT_FILE} and ${CA_KEY_FILE})`);
    }
  }
  const key = await (options.keyPairs?.ca ?? startKeyGeneration({ bits }));
  const ca = createRootCa({
    key,
    subject: labCaSubject(),
    notBefore: new Date(options.now.getTime() - DAY_MS),
    notAfter: new Date(options.now.getTime() + 5 * 365 * DAY_MS),
  });
  if (options.caDir !== undefined) {
    try {
      await mkdir(options.caDir, { recursive: true, mode: 0o700 });
      await writeFile(join(options.caDir, CA_CERT_FILE), ca.certificate.pem, { mode: 0o644 });
      await writeFile(join(options.caDir, CA_KEY_FILE), privateKeyPem(ca.privateKey), { mode: 0o600 });
    } catch (error) {
      throw new CaDirError(`${options.caDir}: cannot write the new lab CA (${(error as Error).message})`);
    }
  }
  return { ca, created: true };
}

export class PoolPki {
  private readonly identities = new Map<TlsIdentity, Promise<TlsMaterial>>();
  private spareKey: Promise<RsaKeys> | undefined;
  private internal: Promise<CertificateAuthority> | undefined;
  /** The internal CA once it is built, for the registrar's synchronous handshake set-up. */
  private builtInternal: CertificateAuthority | undefined;

  private constructor(
    readonly ca: CertificateAuthority,
    readonly caCreated: boolean,
    readonly serverKey: RsaKeys,
    readonly serverCertificate: IssuedCertificate,
    private readonly options: PoolPkiOptions,
  ) {
    this.identities.set('pool', Promise.resolve(this.material(serverCertificate)));
  }

  static async create(options: PoolPkiOptions): Promise<PoolPki> {
    const [{ ca, created }, serverKey] = await Promise.all([
      obtainCa(options),
      options.keyPairs?.server ?? startKeyGeneration({ bits: options.keyBits ?? 2048 }),
    ]);
    const serverCertificate = issueServerCertificate(ca, {
      publicKey: serverKey.publicKey,
      dnsNames: [options.fqdn, ...(options.extraDnsNames ?? [])],
      organization: 'bootstrap-test lab pool',
      notBefore: new Date(options.now.getTime() - DAY_MS),
      notAfter: new Date(options.now.getTime() + 365 * DAY_MS),
    });
    return new PoolPki(ca, created, serverKey, serverCertificate, options);
  }

  private material(certificate: IssuedCertificate): TlsMaterial {
    return { key: privateKeyPem(this.serverKey.privateKey), cert: certificate.pem };
  }

  /** The CA certificates a client should trust (what GetRootCertChain serves). */
  get chain(): IssuedCertificate[] {
    return [this.ca.certificate];
  }

  /** A second key pair, for certificates that must not match anything (generated once, on demand). */
  spareKeyPair(): Promise<RsaKeys> {
    this.spareKey ??= startKeyGeneration({ bits: this.options.keyBits ?? 2048 });
    return this.spareKey;
  }

  /**
   * The pool's own issuing CA, as a Lync/SfB pool has: not in the chain GetRootCertChain serves and
   * not signed by its root (built on first use).
   */
  internalCa(): Promise<CertificateAuthority> {
    const now = this.options.now.getTime();
    this.internal ??= this.spareKeyPair().then((key) =>
      createRootCa({
        key,
        subject: { commonName: 'bootstrap-test Lab Pool Internal CA', organization: 'bootstrap-test lab pool' },
        notBefore: new Date(now - DAY_MS),
        notAfter: new Date(now + 365 * DAY_MS),
      }),
    ).then((ca) => (this.builtInternal = ca));
    return this.internal;
  }

  /** PEM of every CA that issues this pool's user certificates: the root, and the internal CA once built. */
  userIssuersPem(): string[] {
    return [this.ca.certificate.pem, ...(this.builtInternal ? [this.builtInternal.certificate.pem] : [])];
  }

  /** The key and certificate the HTTPS listener presents for this identity (built on first use). */
  tls(identity: TlsIdentity): Promise<TlsMaterial> {
    let material = this.identities.get(identity);
    if (!material) {
      material = this.build(identity);
      this.identities.set(identity, material);
    }
    return material;
  }

  private async build(identity: TlsIdentity): Promise<TlsMaterial> {
    const now = this.options.now.getTime();
    const base = { publicKey: this.serverKey.publicKey, organization: 'bootstrap-test lab pool' };
    switch (identity) {
      case 'pool':
        return this.material(this.serverCertificate);
      case 'name-mismatch':
        return this.material(
          issueServerCertificate(this.ca, {
            ...base,
            // A single front end's name where the pool's is expected.
            dnsNames: [siblingHost(this.options.fqdn, 'fe01')],
            notBefore: new Date(now - DAY_MS),
            notAfter: new Date(now + 365 * DAY_MS),
          }),
        );
      case 'expired':
        return this.material(
          issueServerCertificate(this.ca, {
            ...base,
            dnsNames: [this.options.fqdn],
            notBefore: new Date(now - 400 * DAY_MS),
            notAfter: new Date(now - DAY_MS),
          }),
        );
      case 'other-ca': {
        const otherCa = createRootCa({
          key: await this.spareKeyPair(),
          subject: { commonName: 'Other Enterprise Root CA', organization: 'not the lab pool' },
          notBefore: new Date(now - DAY_MS),
          notAfter: new Date(now + 365 * DAY_MS),
        });
        return this.material(
          issueServerCertificate(otherCa, {
            ...base,
            dnsNames: [this.options.fqdn],
            notBefore: new Date(now - DAY_MS),
            notAfter: new Date(now + 365 * DAY_MS),
          }),
        );
      }
    }
  }
}

/** Another host in the pool's domain: `siblingHost('pool01.lab.test', 'fe01')` = `fe01.lab.test`. */
export function siblingHost(fqdn: string, label: string): string {
  const dot = fqdn.indexOf('.');
  return dot === -1 ? `${label}-${fqdn}` : `${label}${fqdn.slice(dot)}`;
}
