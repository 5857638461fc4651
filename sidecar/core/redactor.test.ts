import { describe, expect, it } from '@jest/globals';
import { createRedactor, REDACTED } from './redactor.ts';
import { Secret } from './secret.ts';

const KEY = 'sk-SECRETKEY-0123456789abcdef';
const redactor = createRedactor([new Secret(KEY), undefined, new Secret('other-provider-key-ZYXW9876')]);

const CASES: { name: string; text: string; redacted: string }[] = [
  { name: 'the exact key', text: `bad key ${KEY}.`, redacted: `bad key ${REDACTED}.` },
  {
    name: 'the key upper-cased',
    text: `key ${KEY.toUpperCase()} refused`,
    redacted: `key ${REDACTED} refused`,
  },
  { name: 'the key lower-cased', text: `key=${KEY.toLowerCase()}`, redacted: `key=${REDACTED}` },
  {
    name: 'a mask between a prefix and a suffix of the key',
    text: 'Incorrect API key provided: sk-SECRE****abcdef. See the docs.',
    redacted: `Incorrect API key provided: ${REDACTED}. See the docs.`,
  },
  {
    name: 'a mask after a short prefix',
    text: 'key sk-...cdef refused',
    redacted: `key ${REDACTED} refused`,
  },
  { name: 'a bullet mask before a suffix', text: 'key ••••••abcdef', redacted: `key ${REDACTED}` },
  { name: 'an ellipsis mask', text: 'key sk-SE…cdef', redacted: `key ${REDACTED}` },
  {
    name: 'an 8-character fragment from the middle',
    text: 'saw ETKEY-01 here',
    redacted: `saw ${REDACTED} here`,
  },
  {
    name: 'a fragment inside JSON keeps the JSON valid',
    text: '{"k":"xSECRETKEYx"}',
    redacted: `{"k":"x${REDACTED}x"}`,
  },
  { name: 'a second key of the pool', text: 'PROVIDER-KEY-zyxw', redacted: REDACTED },
  { name: 'two keys side by side become one mark', text: `${KEY}other-provider-key`, redacted: REDACTED },
  {
    name: 'ordinary text is untouched',
    text: 'The server had an error. Please retry...',
    redacted: 'The server had an error. Please retry...',
  },
  {
    name: 'a 7-character fragment alone is untouched',
    text: 'SECRETK is a word',
    redacted: 'SECRETK is a word',
  },
  { name: 'a mask alone is untouched', text: 'password: ********', redacted: 'password: ********' },
  {
    name: 'a mask next to 3 key characters is untouched',
    text: 'sk-**** and 123',
    redacted: 'sk-**** and 123',
  },
  {
    name: 'non-ASCII text keeps its places',
    text: 'İstanbul SECRETKEY ö',
    redacted: `İstanbul ${REDACTED} ö`,
  },
];

describe('the key redactor', () => {
  it.each(CASES)('redacts $name', ({ text, redacted }) => {
    expect(redactor.redact(text)).toBe(redacted);
  });

  it('returns the very string when there is nothing to hide', () => {
    const text = 'a'.repeat(10_000);
    expect(redactor.redact(text)).toBe(text);
  });

  it('does nothing for a pool without keys', () => {
    expect(createRedactor([undefined]).redact(KEY)).toBe(KEY);
  });

  it('looks for a key shorter than a fragment whole', () => {
    expect(createRedactor([new Secret('k3y5')]).redact('the K3Y5 key')).toBe(`the ${REDACTED} key`);
  });

  it('scans 64 KiB of text in well under a millisecond per KiB', () => {
    const text = 'The quick brown fox jumps over the lazy dog; chatcmpl-abcdefghij. '.repeat(1000);
    const started = performance.now();
    for (let i = 0; i < 10; i++) redactor.redact(text);
    expect((performance.now() - started) / 10).toBeLessThan(64);
  });
});
