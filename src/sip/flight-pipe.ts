// A Duplex that stands in for the network under a TLS socket: what the TLS engine writes is collected
// into flights (whole TLS-DSK tokens), what the peer sent in gssapi-data is fed back in. A flight can
// be complete before anyone asks for it (the ClientHello is written inside tls.connect), so completed
// flights are queued, never dropped.

import { Duplex } from 'node:stream';
import { isCompleteFlight } from './gssapi.js';

export class FlightPipe extends Duplex {
  private pending = Buffer.alloc(0);
  private readonly flights: Buffer[] = [];
  private readonly waiters: Array<(flight: Buffer) => void> = [];

  override _read(): void {
    // Bytes are pushed by deliver(); nothing to pull.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    if (isCompleteFlight(this.pending)) {
      const flight = this.pending;
      this.pending = Buffer.alloc(0);
      const waiter = this.waiters.shift();
      if (waiter) waiter(flight);
      else this.flights.push(flight);
    }
    callback();
  }

  /** Feed the peer's token to the TLS engine. */
  deliver(bytes: Buffer): void {
    this.push(bytes);
  }

  /** The next flight the TLS engine completes (already queued, or the next one written). */
  nextFlight(): Promise<Buffer> {
    const queued = this.flights.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
