/** The provider dialects as integration tests configure them against the mocks (mock-provider/dialects/). */
import type { MockProvider } from '../../mock-provider/server.ts';

export interface Dialect {
  readonly type: string;
  readonly mock: string;
  readonly baseURL: (mock: MockProvider) => string;
  readonly model: string;
}

export const DIALECTS: Record<string, Dialect> = {
  openai: { type: 'openai', mock: 'openai', baseURL: (m) => m.url, model: 'gpt-4o-mini' },
  compatible: { type: 'openai-compatible', mock: 'openai', baseURL: (m) => m.url, model: 'gpt-4o-mini' },
  azure: { type: 'azure-openai', mock: 'azure-openai', baseURL: (m) => m.origin, model: 'gpt-4o-mini' },
  anthropic: { type: 'anthropic', mock: 'anthropic', baseURL: (m) => m.url, model: 'claude-haiku-4-5' },
  gemini: { type: 'gemini', mock: 'gemini', baseURL: (m) => m.url, model: 'gemini-2.5-flash' },
};

/** The provider entry for a mock of `dialect`, serving logical model "chat". */
export function as(dialect: Dialect, mock: MockProvider | undefined): Record<string, unknown> {
  return {
    type: dialect.type,
    baseURL: mock ? dialect.baseURL(mock) : '',
    models: [{ name: 'chat', model: dialect.model, maxOutputTokens: 300 }],
  };
}
