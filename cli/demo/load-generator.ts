/**
 * The demo's app: a gentle, steady stream of chat completions through the official OpenAI SDK, spread over the
 * sidecars, one in three streamed, read to the end as an app would.
 */
import OpenAI from 'openai';

export interface Tally {
  ok: number;
  failed: number;
  retried: number;
}

export interface LoadGenerator {
  readonly tally: Tally;
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<void>;
}

const MESSAGES = [{ role: 'user' as const, content: 'Summarize the plot of Hamlet in one sentence.' }];

async function sendOne(client: OpenAI, stream: boolean, tally: Tally): Promise<void> {
  try {
    let attempts: string | null;
    if (stream) {
      const { data, response } = await client.chat.completions
        .create({ model: 'chat', messages: MESSAGES, stream: true })
        .withResponse();
      for await (const _chunk of data) {
        // read to the end
      }
      attempts = response.headers.get('x-switchboard-attempts');
    } else {
      const { response } = await client.chat.completions
        .create({ model: 'chat', messages: MESSAGES })
        .withResponse();
      attempts = response.headers.get('x-switchboard-attempts');
    }
    tally.ok++;
    if (attempts !== '1') tally.retried++;
  } catch {
    tally.failed++;
  }
}

/** Sends `rps` requests a second in total, turn by turn to each base URL. */
export function startLoad(baseUrls: readonly string[], rps: number): LoadGenerator {
  const clients = baseUrls.map((baseURL) => new OpenAI({ baseURL, apiKey: 'demo', maxRetries: 0 }));
  const tally: Tally = { ok: 0, failed: 0, retried: 0 };
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  const timer = setInterval(() => {
    const client = clients[sent % clients.length];
    if (client === undefined) return;
    const p = sendOne(client, sent % 3 === 0, tally).finally(() => inFlight.delete(p));
    sent++;
    inFlight.add(p);
  }, 1000 / rps);
  return {
    tally,
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
}
