import { describe, expect, it } from '@jest/globals';
import type { Condition } from '../../api/v1alpha1/providerpool-status.ts';
import { conditionEvents } from './condition-events.ts';

const c = (type: string, status: 'True' | 'False' | 'Unknown', reason: string): Condition => ({
  type,
  status,
  reason,
  message: `${reason} details`,
  lastTransitionTime: '2026-11-25T10:00:00Z',
});

describe('events for condition transitions', () => {
  it.each([
    {
      name: 'a first Ready=True is a Normal event',
      before: undefined,
      after: [c('Ready', 'True', 'ConfigPublished')],
      expected: [['Normal', 'ConfigPublished']],
    },
    {
      name: 'Ready turning False is a Warning',
      before: [c('Ready', 'True', 'ConfigPublished')],
      after: [c('Ready', 'False', 'SecretMissing')],
      expected: [['Warning', 'SecretMissing']],
    },
    {
      name: 'nothing changed, no event',
      before: [c('Ready', 'True', 'ConfigPublished')],
      after: [c('Ready', 'True', 'ConfigPublished')],
      expected: [],
    },
    {
      name: 'a new reason while still not Ready is reported',
      before: [c('Ready', 'False', 'SecretMissing')],
      after: [c('Ready', 'False', 'InvalidSpec')],
      expected: [['Warning', 'InvalidSpec']],
    },
    {
      name: 'a first Unknown condition is not news',
      before: undefined,
      after: [c('Degraded', 'Unknown', 'NoReports')],
      expected: [],
    },
    {
      name: 'Degraded=True is a Warning',
      before: [c('Degraded', 'False', 'AllProvidersHealthy')],
      after: [c('Degraded', 'True', 'ProvidersUnhealthy')],
      expected: [['Warning', 'ProvidersUnhealthy']],
    },
  ])('$name', ({ before, after, expected }) => {
    expect(conditionEvents(before, after).map((e) => [e.type, e.reason])).toEqual(expected);
  });
});
