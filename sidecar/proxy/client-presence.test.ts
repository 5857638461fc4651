import { describe, expect, test } from '@jest/globals';
import { ClientPresence } from './client-presence.ts';

describe('a request client presence', () => {
  test.each([
    ['the listening attempt is told once when the client leaves', ['listen', 'leave', 'leave'], 1, true],
    ['an attempt that listens after the client left is told at once', ['leave', 'listen'], 1, true],
    ['an attempt that stopped listening is not told', ['listen', 'stop', 'leave'], 0, true],
    ['nothing is told while the client stays', ['listen', 'stop'], 0, false],
  ] as const)('%s', (_, steps, told, gone) => {
    const presence = new ClientPresence();
    let calls = 0;
    for (const step of steps) {
      if (step === 'listen') presence.listen(() => calls++);
      else if (step === 'stop') presence.stopListening();
      else presence.leave();
    }
    expect(calls).toBe(told);
    expect(presence.gone).toBe(gone);
  });

  test('a second attempt listening at the same time is refused', () => {
    const presence = new ClientPresence();
    presence.listen(() => {});
    expect(() => presence.listen(() => {})).toThrow('one attempt listening at a time');
  });
});
