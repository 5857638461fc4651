import type { MockDialect } from '../dialect.ts';
import { openAiDialect } from './openai/openai-dialect.ts';
import { geminiDialect } from './gemini/gemini-dialect.ts';
import { anthropicDialect } from './anthropic/anthropic-dialect.ts';
import { azureOpenAiDialect } from './azure-openai/azure-dialect.ts';

/** Every dialect the mock provider speaks, by the name used in options and on the command line. */
const DIALECTS: Readonly<Record<string, MockDialect>> = {
  openai: openAiDialect,
  gemini: geminiDialect,
  anthropic: anthropicDialect,
  'azure-openai': azureOpenAiDialect,
};

export const MOCK_DIALECT_NAMES: readonly string[] = Object.keys(DIALECTS);

export function mockDialect(name: string): MockDialect {
  const dialect = DIALECTS[name];
  if (dialect === undefined) {
    throw new RangeError(`unknown mock dialect "${name}"; known: ${MOCK_DIALECT_NAMES.join(', ')}`);
  }
  return dialect;
}
