import type { ProviderType } from '../../api/v1alpha1/providerpool.ts';
import type { ProviderAdapter } from './adapter.ts';
import { OpenAIAdapter } from './openai/openai-adapter.ts';
import { GeminiAdapter } from './gemini/gemini-adapter.ts';
import { AnthropicAdapter } from './anthropic/anthropic-adapter.ts';
import { AzureOpenAIAdapter } from './azure-openai/azure-openai-adapter.ts';

/** Adapters by dialect. A dialect missing here is not yet supported by this build. */
const ADAPTERS: Partial<Record<ProviderType, ProviderAdapter>> = {
  openai: new OpenAIAdapter('openai'),
  'openai-compatible': new OpenAIAdapter('openai-compatible'),
  gemini: new GeminiAdapter(),
  anthropic: new AnthropicAdapter(),
  'azure-openai': new AzureOpenAIAdapter(),
};

export function adapterFor(dialect: ProviderType): ProviderAdapter | undefined {
  return ADAPTERS[dialect];
}

export function supportedDialects(): ProviderType[] {
  return Object.keys(ADAPTERS) as ProviderType[];
}
