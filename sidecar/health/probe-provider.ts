import { request, type Dispatcher } from 'undici';
import type { ProbeRequest } from '../providers/adapter.ts';
import type { Probe } from './active-prober.ts';

/**
 * A probe over HTTP: the dialect's free GET, healthy on a 2xx within `timeoutMs`. A 401/403 (refused credentials),
 * a 429 or a 5xx is not healthy; nothing thrown escapes.
 */
export function httpProbe(build: () => ProbeRequest, dispatcher: () => Dispatcher, timeoutMs: number): Probe {
  return async () => {
    try {
      const { url, headers } = build();
      const res = await request(url, {
        method: 'GET',
        headers,
        dispatcher: dispatcher(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body.dump();
      return res.statusCode >= 200 && res.statusCode < 300;
    } catch {
      return false;
    }
  };
}
