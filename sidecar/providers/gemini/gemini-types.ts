/**
 * The parts of the Gemini API (Generative Language API, v1beta) wire format this adapter writes.
 * Answers are read from `unknown` with the guards in read-gemini.ts, never trusted to have these shapes.
 */

export interface GeminiBlob {
  readonly mimeType: string;
  /** Base64 of the bytes. */
  readonly data: string;
}

export interface GeminiFunctionCall {
  readonly name: string;
  readonly args: Record<string, unknown>;
}

export interface GeminiFunctionResponse {
  readonly name: string;
  readonly response: Record<string, unknown>;
}

/** One part of a content: exactly one of the data fields is set. */
export interface GeminiPart {
  readonly text?: string;
  readonly inlineData?: GeminiBlob;
  readonly functionCall?: GeminiFunctionCall;
  readonly functionResponse?: GeminiFunctionResponse;
  readonly thoughtSignature?: string;
}

export type GeminiRole = 'user' | 'model';

export interface GeminiContent {
  readonly role: GeminiRole;
  readonly parts: GeminiPart[];
}

export interface GeminiFunctionDeclaration {
  readonly name: string;
  readonly description?: string;
  /** The OpenAI function's JSON Schema as it is (the API's JSON-Schema field, not the OpenAPI subset). */
  readonly parametersJsonSchema?: unknown;
}

export type GeminiFunctionCallingMode = 'AUTO' | 'ANY' | 'NONE';

export interface GeminiToolConfig {
  readonly functionCallingConfig: {
    readonly mode: GeminiFunctionCallingMode;
    readonly allowedFunctionNames?: string[];
  };
}

export interface GeminiGenerationConfig {
  temperature?: number;
  topP?: number;
  maxOutputTokens?: number;
  stopSequences?: string[];
  candidateCount?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
  responseMimeType?: string;
  responseJsonSchema?: unknown;
}

export interface GeminiGenerateContentRequest {
  readonly contents: GeminiContent[];
  readonly systemInstruction?: { readonly parts: GeminiPart[] };
  readonly generationConfig?: GeminiGenerationConfig;
  readonly tools?: { readonly functionDeclarations: GeminiFunctionDeclaration[] }[];
  readonly toolConfig?: GeminiToolConfig;
}

export interface GeminiEmbedContentRequest {
  readonly model: string;
  readonly content: { readonly parts: { readonly text: string }[] };
  readonly outputDimensionality?: number;
}

export interface GeminiBatchEmbedContentsRequest {
  readonly requests: GeminiEmbedContentRequest[];
}
