// The PIN, held so that it cannot leak by accident and cannot be sent again once the server refused
// it (diagnosis.md section 10: a rejected PIN counts toward the lockout; only people may retry).

import { inspect } from 'node:util';
import { BootstrapTestError } from '../errors.js';

export class PinRejectedError extends BootstrapTestError {
  constructor(readonly rejection: string) {
    super('BT_PIN_REJECTED', `the server already rejected this PIN in this run (${rejection}); it is not sent again`);
  }
}

export class PinHolder {
  readonly #pin: string;
  #rejection: string | undefined;
  #uses = 0;

  constructor(pin: string) {
    this.#pin = pin;
  }

  /** Hands the PIN to the one place that puts it on the wire. Refuses after a rejection. */
  reveal(): string {
    if (this.#rejection !== undefined) throw new PinRejectedError(this.#rejection);
    this.#uses += 1;
    return this.#pin;
  }

  /** Latches: from now on reveal() throws, for the rest of the run. */
  markRejected(reason: string): void {
    this.#rejection ??= reason;
  }

  get rejected(): boolean {
    return this.#rejection !== undefined;
  }

  /** How many requests carried the PIN (evidence; never the PIN itself). */
  get uses(): number {
    return this.#uses;
  }

  /** The exact text to scrub from anything written out (trace, logs). */
  secretForRedaction(): string {
    return this.#pin;
  }

  toString(): string {
    return '[PIN redacted]';
  }

  toJSON(): string {
    return '[PIN redacted]';
  }

  [inspect.custom](): string {
    return 'PinHolder [redacted]';
  }
}
