import { describe, expect, it } from '@jest/globals';
import { KEY_ECHOES, quoteKey } from '../../mock-provider/key-echo.ts';
import { FRAGMENT_LENGTH, keySightings, TAIL_LENGTH } from './key-canary.ts';

const KEY = 'sk-CANARY-0123456789abcdef';

describe('key sightings', () => {
  it.each(KEY_ECHOES)('finds the key as a mock quotes it (%s)', (how) => {
    expect(keySightings(`error: ${quoteKey(KEY, how)} was refused`, KEY).length).toBeGreaterThan(0);
  });

  it.each([
    ['finds nothing in text without the key', 'no secrets here', 0],
    ['ignores runs shorter than a fragment', KEY.slice(0, FRAGMENT_LENGTH - 1), 0],
    ['finds one run exactly a fragment long', KEY.slice(3, 3 + FRAGMENT_LENGTH), 1],
    ['finds the tail a mask keeps', `sk-****${KEY.slice(-TAIL_LENGTH)}`, 1],
  ])('%s', (_name, text, count) => {
    expect(keySightings(text, KEY)).toHaveLength(count);
  });
});
