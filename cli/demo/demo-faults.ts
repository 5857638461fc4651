/**
 * The dashboard's fault-injection capability over the demo's mocks: each fault is a change of the mock's
 * behaviour; `clear` restores the behaviour the mock started with.
 */
import type { MockBehaviour } from '../../mock-provider/behaviour.ts';
import type { MockProvider } from '../../mock-provider/server.ts';
import { ControlError, type Fault, type FaultInjector } from '../../operator/dashboard/controls.ts';

const NO_FAULT: Partial<MockBehaviour> = { errorRate: 0, rateLimitRate: 0 };

function faultBehaviour(fault: Fault, baseline: Readonly<MockBehaviour>): Partial<MockBehaviour> {
  switch (fault) {
    case 'outage':
      return { ...NO_FAULT, errorRate: 1 };
    case 'slow':
      return { latencyMs: baseline.latencyMs + 1500 };
    case 'errors':
      return { ...NO_FAULT, errorRate: 0.5 };
    case 'rate-limit':
      return { ...NO_FAULT, rateLimitRate: 1, retryAfterS: 5 };
    case 'clear':
      return { ...baseline };
  }
}

export function mockFaults(mocks: ReadonlyMap<string, MockProvider>): FaultInjector {
  const baselines = new Map([...mocks].map(([name, mock]) => [name, { ...mock.behaviour }]));
  return {
    targets: () => [...mocks.keys()],
    inject(target, fault) {
      const mock = mocks.get(target);
      const baseline = baselines.get(target);
      if (mock === undefined || baseline === undefined)
        throw new ControlError(
          404,
          `no mock provider "${target}" (there are: ${[...mocks.keys()].join(', ')})`,
        );
      if (fault !== 'clear') mock.setBehaviour({ ...baseline });
      mock.setBehaviour(faultBehaviour(fault, baseline));
    },
  };
}
