import { describe, expect, it } from 'vitest';
import {
  DirectoryError,
  findUsersByNumber,
  normalise,
  parseDirectory,
  parseLineUri,
  sampleDirectory,
  typedNumberFor,
} from '../../src/lab/directory.js';
import { PinLedger } from '../../src/lab/pin-ledger.js';

const user = (overrides: Record<string, unknown> = {}) => ({
  sipUri: 'sip:a@example.com',
  lineUri: 'tel:+14157773000;ext=234',
  pin: '123456',
  ...overrides,
});

function parseError(document: unknown): string {
  try {
    parseDirectory(JSON.stringify(document), 'users.json');
  } catch (error) {
    expect(error).toBeInstanceOf(DirectoryError);
    return (error as Error).message;
  }
  throw new Error('expected a DirectoryError');
}

describe('lab directory file', () => {
  it('reads users, a dial plan and a PIN policy', () => {
    const directory = parseDirectory(
      JSON.stringify({
        users: [user(), user({ sipUri: 'sip:b@example.com', lineUri: 'tel:+14157773001', enterpriseVoice: false, sipEnabled: false })],
        dialPlan: { name: 'SF', rules: [{ name: 'ext', pattern: '^(\\d{3})$', translation: '+14157773000;ext=$1' }] },
        pinPolicy: { minimumLength: 6, maximumLogonAttempts: 3, usePinAuth: false },
      }),
      'users.json',
    );
    expect(directory.users).toHaveLength(2);
    expect(directory.users[1]).toMatchObject({ enterpriseVoice: false, sipEnabled: false, pinLocked: false });
    expect(directory.pinPolicy).toEqual({ minimumLength: 6, maximumLogonAttempts: 3, usePinAuth: false, requireEnterpriseVoice: false });
    expect(findUsersByNumber(directory, '234').matches.map((u) => u.sipUri)).toEqual(['sip:a@example.com']);
    expect(findUsersByNumber(directory, '235').matches).toEqual([]);
  });

  it('accepts a bare array of users with the sample dial plan', () => {
    const directory = parseDirectory(JSON.stringify([user({ lineUri: 'tel:+13125550042;ext=0042' })]), 'u.json');
    expect(findUsersByNumber(directory, '0042').matches).toHaveLength(1);
  });

  it.each([
    [{ users: [] }, 'users.json: users: must be a non-empty array'],
    [{ users: [user({ sipUri: 'a@example.com' })] }, 'users.json: users[0].sipUri: "a@example.com" is not sip:user@domain'],
    [{ users: [user(), user({ lineUri: '+1312' })] }, 'users.json: users[1].lineUri: "+1312" is not tel:+<digits> with an optional ;ext=<digits>'],
    [{ users: [user({ pin: 1234 })] }, 'users.json: users[0].pin: must be a string of digits'],
    [{ users: [user({ pin: '1234' })] }, 'users.json: users[0].pin: is shorter than pinPolicy.minimumLength (5)'],
    [{ users: [user({ sipEnabled: 'yes' })] }, 'users.json: users[0].sipEnabled: must be true or false, got "yes"'],
    [{ users: [user({ colour: 'red' })] }, 'users.json: users[0].colour: unknown field'],
    [{ users: [user(), user()] }, 'users.json: users[1].sipUri: "sip:a@example.com" duplicates users[0]'],
    [{ users: [user()], dialPlan: { rules: [{ pattern: '(', translation: '+1' }] } }, 'users.json: dialPlan.rules[0].pattern: is not a valid regular expression'],
    [{ users: [user()], pinPolicy: { maximumLogonAttempts: 0 } }, 'users.json: pinPolicy.maximumLogonAttempts: must be an integer in 1..1000, got 0'],
    [{ users: [user()], extra: 1 }, 'users.json: extra: unknown field'],
  ])('refuses %j with one line naming file, entry and field', (document, message) => {
    expect(parseError(document)).toContain(message);
  });

  it('never puts a PIN value into an error message', () => {
    expect(parseError({ users: [user({ pin: '98' })] })).not.toContain('98');
    expect(() => parseDirectory('{', 'users.json')).toThrow(/^users\.json: not valid JSON/);
  });
});

describe('dial plan normalisation', () => {
  const plan = sampleDirectory().dialPlan;
  it('turns an extension into the E.164 number of its line URI', () => {
    expect(normalise(plan, '7501')).toEqual({ number: '+13125557501', rule: 'Four-digit extension' });
    expect(normalise(plan, '3125557501')).toMatchObject({ number: '+13125557501' });
    expect(normalise(plan, '13125557501')).toMatchObject({ number: '+13125557501' });
    expect(normalise(plan, '+13125557501')).toEqual({ number: '+13125557501' });
  });

  it('gives nothing for input no rule covers, or with rules switched off', () => {
    expect(normalise(plan, '75')).toBeUndefined();
    expect(normalise(plan, '75a1')).toBeUndefined();
    expect(normalise(plan, '7501', false)).toBeUndefined();
    expect(normalise(plan, '+13125557501', false)).toEqual({ number: '+13125557501' });
  });

  it('finds the sample user by extension and tells what to type', () => {
    const directory = sampleDirectory();
    const [found] = findUsersByNumber(directory, '7501').matches;
    expect(found?.sipUri).toBe('sip:phone.test@lab.bootstrap-test.test');
    expect(typedNumberFor(found!)).toBe('7501');
    expect(parseLineUri('tel:+13125557501;ext=7501')).toEqual({ number: '+13125557501', extension: '7501' });
  });
});

describe('PIN ledger', () => {
  it('counts failures, locks at the policy maximum, resets on success, unlocks on request', () => {
    const directory = sampleDirectory();
    const ledger = new PinLedger({ ...directory.pinPolicy, maximumLogonAttempts: 3 });
    const user = directory.users[0]!;
    expect(ledger.check(user, '00000')).toEqual({ outcome: 'wrong', failures: 1, lockedNow: false });
    expect(ledger.check(user, user.pin!)).toEqual({ outcome: 'accepted' });
    ledger.check(user, '00000');
    ledger.check(user, '00000');
    expect(ledger.check(user, '00000')).toEqual({ outcome: 'wrong', failures: 3, lockedNow: true });
    expect(ledger.check(user, user.pin!)).toEqual({ outcome: 'locked' });
    expect(ledger.snapshot()).toMatchObject({ totalFailures: 5, locked: [user.sipUri] });
    ledger.unlock(user.sipUri);
    expect(ledger.check(user, user.pin!)).toEqual({ outcome: 'accepted' });
    expect(ledger.check(directory.users[3]!, '12345')).toEqual({ outcome: 'not-set' });
  });
});
