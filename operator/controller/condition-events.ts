import type { Condition } from '../../api/v1alpha1/providerpool-status.ts';

export interface ConditionEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/**
 * Notable transitions worth a Kubernetes Event (pure): a condition that changed status, or whose reason changed
 * while it stayed unhealthy. Ready=False and Degraded/RateLimited=True are warnings.
 */
export function conditionEvents(
  before: readonly Condition[] | undefined,
  after: readonly Condition[],
): ConditionEvent[] {
  const old = new Map((before ?? []).map((c) => [c.type, c]));
  const events: ConditionEvent[] = [];
  for (const c of after) {
    const prev = old.get(c.type);
    if (prev && prev.status === c.status && prev.reason === c.reason) continue;
    if (!prev && c.status === 'Unknown') continue;
    const bad = c.type === 'Ready' ? c.status === 'False' : c.status === 'True';
    events.push({
      type: bad ? 'Warning' : 'Normal',
      reason: c.reason,
      message: `${c.type}=${c.status}: ${c.message}`.slice(0, 1024),
    });
  }
  return events;
}
