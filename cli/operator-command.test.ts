import { describe, expect, test } from '@jest/globals';
import { extraSans, parseDuration } from './operator-command.ts';

describe('parseDuration (certificate lifetimes for development)', () => {
  test.each<[string, number]>([
    ['30s', 30_000],
    ['15m', 900_000],
    ['12h', 43_200_000],
    ['90d', 7_776_000_000],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text, '--cert-validity')).toBe(ms);
  });

  test.each(['4s', '0s', '10', '1w', '-5m', ''])('refuses %j, naming the flag', (text) => {
    expect(() => parseDuration(text, '--cert-validity')).toThrow(
      /--cert-validity must be a duration of at least 5s/,
    );
  });
});

test('extra certificate names split into IP addresses and DNS names', () => {
  expect(extraSans('127.0.0.1, localhost,::1,,op.test')).toEqual({
    ipAddresses: ['127.0.0.1', '::1'],
    extraDnsNames: ['localhost', 'op.test'],
  });
});
