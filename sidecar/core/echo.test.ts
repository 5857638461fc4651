import { describe, expect, it } from '@jest/globals';
import { ECHO_LIMIT, echoInput } from './echo.ts';

describe('echoInput', () => {
  it.each([
    {
      name: 'keeps input up to the limit as it is',
      input: 'x'.repeat(ECHO_LIMIT),
      echoed: 'x'.repeat(ECHO_LIMIT),
    },
    {
      name: 'cuts longer input, marking the cut and the length',
      input: 'x'.repeat(1024 * 1024),
      echoed: `${'x'.repeat(ECHO_LIMIT)}… (1048576 characters)`,
    },
    {
      name: 'never cuts a surrogate pair in two',
      input: `${'x'.repeat(ECHO_LIMIT - 1)}😀tail`,
      echoed: `${'x'.repeat(ECHO_LIMIT - 1)}… (${ECHO_LIMIT + 5} characters)`,
    },
  ])('$name', ({ input, echoed }) => {
    expect(echoInput(input)).toBe(echoed);
  });
});
