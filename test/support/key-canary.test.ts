import { describe, expect, it } from '@jest/globals';
import { FRAGMENT_LENGTH, keyEchoes, keySightings } from './key-canary.ts';

const KEY = 'sk-CANARY-0123456789abcdef';

describe('key sightings', () => {
  it.each(Object.entries(keyEchoes(KEY)))('finds the key quoted %s', (_form, echo) => {
    expect(keySightings(`error: ${echo} was refused`, KEY).length).toBeGreaterThan(0);
  });

  it.each([
    ['finds nothing in text without the key', 'no secrets here', 0],
    ['ignores runs shorter than a fragment', KEY.slice(0, FRAGMENT_LENGTH - 1), 0],
    ['finds one run exactly a fragment long', KEY.slice(3, 3 + FRAGMENT_LENGTH), 1],
  ])('%s', (_name, text, count) => {
    expect(keySightings(text, KEY)).toHaveLength(count);
  });
});
