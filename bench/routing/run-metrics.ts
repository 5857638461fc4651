/**
 * What the client of one (scenario, strategy) run saw: every request it sent, those served (after retries), their
 * latency from arrival to the whole answer (exact samples, so p99 is exact), and what the served ones cost at the
 * price the provider billed at that moment. A failed request costs nothing (providers do not bill failures) and has
 * no latency; the cost is per 1,000 *served* requests, so a router cannot look cheap by failing.
 */
import { quantile } from './distributions.ts';

export interface RunSummary {
  readonly requests: number;
  readonly successRate: number;
  readonly p99Ms: number;
  readonly costPer1kUSD: number;
}

export class RunMetrics {
  #requests = 0;
  #latencies = new Float64Array(1024);
  #served = 0;
  #costUSD = 0;

  /** A request arrived (counted whether or not it is served). */
  requested(): void {
    this.#requests++;
  }

  served(latencyMs: number, costUSD: number): void {
    if (this.#served === this.#latencies.length) {
      const grown = new Float64Array(this.#latencies.length * 2);
      grown.set(this.#latencies);
      this.#latencies = grown;
    }
    this.#latencies[this.#served++] = latencyMs;
    this.#costUSD += costUSD;
  }

  summary(): RunSummary {
    const sorted = this.#latencies.slice(0, this.#served).sort();
    return {
      requests: this.#requests,
      successRate: this.#requests === 0 ? NaN : this.#served / this.#requests,
      p99Ms: quantile(sorted, 0.99),
      costPer1kUSD: this.#served === 0 ? NaN : (this.#costUSD / this.#served) * 1000,
    };
  }
}

/** USD for `tokens` at `price` (per million tokens). */
export function costUSD(
  price: { readonly inputPerMillionTokens: number; readonly outputPerMillionTokens: number },
  tokens: { readonly input: number; readonly output: number },
): number {
  return (tokens.input * price.inputPerMillionTokens + tokens.output * price.outputPerMillionTokens) / 1e6;
}
