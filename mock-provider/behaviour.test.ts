import { describe, expect, it } from '@jest/globals';
import { applyBehaviour, DEFAULT_BEHAVIOUR, type MockBehaviour } from './behaviour.ts';

describe('behaviour knobs', () => {
  it('applies the given knobs and keeps the others', () => {
    const next = applyBehaviour(DEFAULT_BEHAVIOUR, { errorRate: 0.5, hang: true });
    expect(next).toEqual({ ...DEFAULT_BEHAVIOUR, errorRate: 0.5, hang: true });
  });

  it('ignores knobs given as undefined and clears knobs given as null', () => {
    const cut = applyBehaviour(DEFAULT_BEHAVIOUR, { cutStreamAfterChunks: 3, replyText: 'x' });
    expect(applyBehaviour(cut, { cutStreamAfterChunks: undefined })).toEqual(cut);
    expect(applyBehaviour(cut, { cutStreamAfterChunks: null, replyText: null })).toEqual(DEFAULT_BEHAVIOUR);
  });

  it.each<{ name: string; change: Partial<MockBehaviour> }>([
    { name: 'refuses an error rate above one', change: { errorRate: 1.5 } },
    { name: 'refuses a negative rate-limit rate', change: { rateLimitRate: -0.1 } },
    { name: 'refuses a NaN rate', change: { errorRate: Number.NaN } },
    { name: 'refuses negative latency', change: { latencyMs: -1 } },
    { name: 'refuses zero stream chunks', change: { streamChunks: 0 } },
    { name: 'refuses a fractional cut point', change: { cutStreamAfterChunks: 1.5 } },
    { name: 'refuses a zero request limit', change: { requestsPerMinute: 0 } },
    { name: 'refuses a cut rate above one', change: { cutStreamRate: 2 } },
    {
      name: 'refuses an error message that is not a string',
      change: { errorMessage: 42 as unknown as string },
    },
    { name: 'refuses a negative stream error point', change: { streamErrorAfterEvents: -1 } },
    {
      name: 'refuses an unknown way of quoting the key',
      change: { echoKey: 'reversed' as MockBehaviour['echoKey'] },
    },
  ])('$name', ({ change }) => {
    expect(() => applyBehaviour(DEFAULT_BEHAVIOUR, change)).toThrow(RangeError);
  });
});
