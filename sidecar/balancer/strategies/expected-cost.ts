import type { PickContext, Price } from '../types.ts';

/** Expected price of one request in USD: input tokens × input price + output tokens × output price. */
export function expectedCostUsd(price: Price, tokens: PickContext['tokens']): number {
  return (
    (tokens.input * price.inputPerMillionTokens + tokens.output * price.outputPerMillionTokens) / 1_000_000
  );
}
