import type { IncomingHttpHeaders } from 'node:http';

/** The last request a mock provider received, as it arrived. */
export interface MockRequestRecord {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body; the raw text when it was not JSON; undefined when empty. */
  body: unknown;
}

/** Live counters of a mock provider, for tests to assert on. */
export interface MockStats {
  requests: number;
  /** Requests received and not yet answered or abandoned. */
  inFlight: number;
  /** Requests per URL path (without the query string). */
  byPath: Record<string, number>;
  /** Answers per HTTP status. */
  byStatus: Record<number, number>;
  streamsStarted: number;
  /** Streams that reached their end sentinel. */
  streamsCompleted: number;
  /** Streams the mock cut on purpose (`cutStreamAfterChunks`). */
  streamsCut: number;
  sseEventsWritten: number;
  /** Requests whose client went away before the answer was complete. */
  clientAborts: number;
  lastRequest: MockRequestRecord | undefined;
}

export function emptyMockStats(): MockStats {
  return {
    requests: 0,
    inFlight: 0,
    byPath: {},
    byStatus: {},
    streamsStarted: 0,
    streamsCompleted: 0,
    streamsCut: 0,
    sseEventsWritten: 0,
    clientAborts: 0,
    lastRequest: undefined,
  };
}
