// The lab pool's user directory: who can sign in with which number and PIN, the dial plan that turns
// what a phone typed into a line URI, and the PIN policy. Pure data and pure functions; the file is
// read by the caller and handed in as text.

import { BootstrapTestError } from '../errors.js';

export interface LabUser {
  sipUri: string;
  /** `tel:+<E.164>` with an optional `;ext=<digits>`. */
  lineUri: string;
  /** Digits only; undefined when no PIN was ever set for the user. */
  pin?: string;
  enterpriseVoice: boolean;
  sipEnabled: boolean;
  displayName?: string;
  /** Locked by an administrator (Lock-CsClientPin), independent of failed attempts. */
  pinLocked: boolean;
}

export interface DialPlanRule {
  name: string;
  pattern: RegExp;
  /** Replacement with `$1`-style groups, e.g. `+1312555$1`. */
  translation: string;
}

export interface DialPlan {
  name: string;
  rules: DialPlanRule[];
}

export interface PinPolicy {
  minimumLength: number;
  /** Failed attempts after which the PIN locks (Get-CsPinPolicy MaximumLogonAttempts). */
  maximumLogonAttempts: number;
  /** Set-CsWebServiceConfiguration -UsePinAuth. */
  usePinAuth: boolean;
  /** The lab's own switch: refuse users without Enterprise Voice (whether real pools do is unverified). */
  requireEnterpriseVoice: boolean;
}

export interface LabDirectory {
  users: LabUser[];
  dialPlan: DialPlan;
  pinPolicy: PinPolicy;
  /** Where the directory came from, for messages (`built-in sample` or a file name). */
  source: string;
}

/** A users file problem, one line naming the file, the entry and the field. */
export class DirectoryError extends BootstrapTestError {
  constructor(message: string) {
    super('BT_DIRECTORY', message);
  }
}

export const DEFAULT_LAB_DOMAIN = 'lab.bootstrap-test.test';

export const DEFAULT_PIN_POLICY: PinPolicy = {
  minimumLength: 5,
  maximumLogonAttempts: 10,
  usePinAuth: true,
  requireEnterpriseVoice: false,
};

/** The dial plan of the sample site: four-digit extensions on the +1 312 555 range, and full numbers. */
export function sampleDialPlan(): DialPlan {
  return {
    name: 'LabSite',
    rules: [
      { name: 'Four-digit extension', pattern: /^(\d{4})$/, translation: '+1312555$1' },
      { name: 'Ten-digit national', pattern: /^(\d{10})$/, translation: '+1$1' },
      { name: 'Eleven-digit with trunk 1', pattern: /^1(\d{10})$/, translation: '+1$1' },
    ],
  };
}

export function sampleDirectory(domain = DEFAULT_LAB_DOMAIN): LabDirectory {
  const user = (local: string, digits: string, pin: string | undefined, extra: Partial<LabUser> = {}): LabUser => ({
    sipUri: `sip:${local}@${domain}`,
    lineUri: `tel:+1312555${digits};ext=${digits}`,
    ...(pin !== undefined ? { pin } : {}),
    enterpriseVoice: true,
    sipEnabled: true,
    pinLocked: false,
    ...extra,
  });
  return {
    users: [
      user('phone.test', '7501', '14789', { displayName: 'Lobby Phone (test)' }),
      user('conference.room', '7502', '25896', { displayName: 'Conference Room 2' }),
      user('disabled.user', '7503', '36914', { displayName: 'Disabled User', sipEnabled: false }),
      user('no.pin', '7504', undefined, { displayName: 'User Without PIN' }),
    ],
    dialPlan: sampleDialPlan(),
    pinPolicy: { ...DEFAULT_PIN_POLICY },
    source: 'built-in sample',
  };
}

const SIP_URI = /^sip:[^@\s;:]+@[A-Za-z0-9.-]+$/i;
const LINE_URI = /^tel:(\+\d{3,15})(?:;ext=(\d{1,10}))?$/i;

export interface ParsedLineUri {
  number: string;
  extension?: string;
}

export function parseLineUri(lineUri: string): ParsedLineUri | undefined {
  const match = LINE_URI.exec(lineUri.trim());
  if (!match?.[1]) return undefined;
  return match[2] !== undefined ? { number: match[1], extension: match[2] } : { number: match[1] };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates one object against a field list, with messages rooted at `where`. */
class FieldReader {
  constructor(
    private readonly source: string,
    private readonly where: string,
    private readonly value: { [key: string]: Json },
    allowed: readonly string[],
  ) {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.fail(key, `unknown field (expected one of: ${allowed.join(', ')})`);
    }
  }

  fail(field: string, problem: string): never {
    throw new DirectoryError(`${this.source}: ${this.where ? `${this.where}.` : ''}${field}: ${problem}`);
  }

  string(field: string, required: true): string;
  string(field: string, required: false): string | undefined;
  string(field: string, required: boolean): string | undefined {
    const value = this.value[field];
    if (value === undefined || value === null) {
      if (required) this.fail(field, 'is required');
      return undefined;
    }
    if (typeof value !== 'string') this.fail(field, `must be a string, got ${JSON.stringify(value)}`);
    return value;
  }

  boolean(field: string, fallback: boolean): boolean {
    const value = this.value[field];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') this.fail(field, `must be true or false, got ${JSON.stringify(value)}`);
    return value;
  }

  integer(field: string, fallback: number, min: number, max: number): number {
    const value = this.value[field];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(field, `must be an integer in ${min}..${max}, got ${JSON.stringify(value)}`);
    }
    return value;
  }
}

function readPinPolicy(source: string, value: Json | undefined): PinPolicy {
  if (value === undefined) return { ...DEFAULT_PIN_POLICY };
  if (!isObject(value)) throw new DirectoryError(`${source}: pinPolicy: must be an object`);
  const fields: FieldReader = new FieldReader(source, 'pinPolicy', value, [
    'minimumLength',
    'maximumLogonAttempts',
    'usePinAuth',
    'requireEnterpriseVoice',
  ]);
  return {
    minimumLength: fields.integer('minimumLength', DEFAULT_PIN_POLICY.minimumLength, 4, 24),
    maximumLogonAttempts: fields.integer('maximumLogonAttempts', DEFAULT_PIN_POLICY.maximumLogonAttempts, 1, 1000),
    usePinAuth: fields.boolean('usePinAuth', DEFAULT_PIN_POLICY.usePinAuth),
    requireEnterpriseVoice: fields.boolean('requireEnterpriseVoice', DEFAULT_PIN_POLICY.requireEnterpriseVoice),
  };
}

function readDialPlan(source: string, value: Json | undefined): DialPlan {
  if (value === undefined) return sampleDialPlan();
  if (!isObject(value)) throw new DirectoryError(`${source}: dialPlan: must be an object`);
  const plan: FieldReader = new FieldReader(source, 'dialPlan', value, ['name', 'rules']);
  const rulesValue = value['rules'];
  if (!Array.isArray(rulesValue)) plan.fail('rules', 'must be an array of {pattern, translation}');
  const rules = rulesValue.map((ruleValue, index): DialPlanRule => {
    const where = `dialPlan.rules[${index}]`;
    if (!isObject(ruleValue)) throw new DirectoryError(`${source}: ${where}: must be an object`);
    const rule: FieldReader = new FieldReader(source, where, ruleValue, ['name', 'pattern', 'translation']);
    const patternText = rule.string('pattern', true);
    let pattern: RegExp;
    try {
      pattern = new RegExp(patternText);
    } catch (error) {
      rule.fail('pattern', `is not a valid regular expression (${(error as Error).message})`);
    }
    const translation = rule.string('translation', true);
    if (!/^\+?[\d$;=ext]*$/.test(translation)) {
      rule.fail('translation', `"${translation}" may hold only digits, a leading +, $n groups and ;ext=`);
    }
    return { name: rule.string('name', false) ?? `rule ${index + 1}`, pattern, translation };
  });
  return { name: plan.string('name', false) ?? 'LabDialPlan', rules };
}

function readUser(source: string, index: number, value: Json, policy: PinPolicy): LabUser {
  const where = `users[${index}]`;
  if (!isObject(value)) throw new DirectoryError(`${source}: ${where}: must be an object`);
  const fields: FieldReader = new FieldReader(source, where, value, [
    'sipUri',
    'lineUri',
    'pin',
    'enterpriseVoice',
    'sipEnabled',
    'displayName',
    'pinLocked',
  ]);
  const sipUri = fields.string('sipUri', true);
  if (!SIP_URI.test(sipUri)) fields.fail('sipUri', `"${sipUri}" is not sip:user@domain`);
  const lineUri = fields.string('lineUri', true);
  if (!parseLineUri(lineUri)) fields.fail('lineUri', `"${lineUri}" is not tel:+<digits> with an optional ;ext=<digits>`);
  const pinValue = value['pin'];
  let pin: string | undefined;
  if (pinValue !== undefined && pinValue !== null) {
    // The PIN itself never goes into a message: only its shape does.
    if (typeof pinValue !== 'string' || !/^\d+$/.test(pinValue)) fields.fail('pin', 'must be a string of digits');
    if (pinValue.length < policy.minimumLength) {
      fields.fail('pin', `is shorter than pinPolicy.minimumLength (${policy.minimumLength})`);
    }
    pin = pinValue;
  }
  const displayName = fields.string('displayName', false);
  return {
    sipUri,
    lineUri,
    ...(pin !== undefined ? { pin } : {}),
    enterpriseVoice: fields.boolean('enterpriseVoice', true),
    sipEnabled: fields.boolean('sipEnabled', true),
    ...(displayName !== undefined ? { displayName } : {}),
    pinLocked: fields.boolean('pinLocked', false),
  };
}

/**
 * Parses a users file: either `{ users: [...], dialPlan?, pinPolicy? }` or a bare array of users.
 * Throws DirectoryError with one line naming the file, the entry and the field.
 */
export function parseDirectory(text: string, source: string): LabDirectory {
  let document: Json;
  try {
    document = JSON.parse(text) as Json;
  } catch (error) {
    throw new DirectoryError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  const root: { [key: string]: Json } = Array.isArray(document) ? { users: document } : isObject(document) ? document : {};
  if (!isObject(document) && !Array.isArray(document)) {
    throw new DirectoryError(`${source}: expected an object with "users" or an array of users`);
  }
  new FieldReader(source, '', root, ['users', 'dialPlan', 'pinPolicy']);
  const pinPolicy = readPinPolicy(source, root['pinPolicy']);
  const dialPlan = readDialPlan(source, root['dialPlan']);
  const usersValue = root['users'];
  if (!Array.isArray(usersValue) || usersValue.length === 0) {
    throw new DirectoryError(`${source}: users: must be a non-empty array`);
  }
  const users = usersValue.map((value, index) => readUser(source, index, value, pinPolicy));
  const seen = new Map<string, number>();
  users.forEach((user, index) => {
    const key = user.sipUri.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      throw new DirectoryError(`${source}: users[${index}].sipUri: "${user.sipUri}" duplicates users[${first}]`);
    }
    seen.set(key, index);
  });
  return { users, dialPlan, pinPolicy, source };
}

export interface Normalisation {
  /** What the digits became: `+13125557501` or `+14157773000;ext=234`. */
  number: string;
  extension?: string;
  /** The rule that matched, or undefined when the input was already E.164. */
  rule?: string;
}

/** Runs what the phone typed through the dial plan. Undefined when no rule applies. */
export function normalise(dialPlan: DialPlan, typed: string, rulesEnabled = true): Normalisation | undefined {
  const digits = typed.trim();
  if (!/^\+?\d{1,20}$/.test(digits)) return undefined;
  if (rulesEnabled) {
    for (const rule of dialPlan.rules) {
      if (!rule.pattern.test(digits)) continue;
      const translated = digits.replace(rule.pattern, rule.translation);
      const parsed = parseLineUri(`tel:${translated}`);
      if (!parsed) continue;
      return { ...parsed, rule: rule.name };
    }
  }
  if (digits.startsWith('+')) return { number: digits };
  return undefined;
}

export interface UserLookup {
  normalised?: Normalisation;
  /** Users whose line URI matches the normalised number (and extension, when the rule gave one). */
  matches: LabUser[];
}

export function findUsersByNumber(directory: LabDirectory, typed: string, rulesEnabled = true): UserLookup {
  const normalised = normalise(directory.dialPlan, typed, rulesEnabled);
  if (!normalised) return { matches: [] };
  const matches = directory.users.filter((user) => {
    const line = parseLineUri(user.lineUri);
    if (!line || line.number !== normalised.number) return false;
    if (normalised.extension !== undefined) return normalised.extension === line.extension;
    // A full number reaches a DID user (the extension is the number's tail), not an extension behind a main number.
    return line.extension === undefined || line.number.endsWith(line.extension);
  });
  return { normalised, matches };
}

/** The extension a phone would type for this user: `;ext=` when present, else the full number. */
export function typedNumberFor(user: LabUser): string {
  const line = parseLineUri(user.lineUri);
  return line?.extension ?? line?.number ?? user.lineUri;
}
