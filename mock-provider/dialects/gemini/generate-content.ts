/**
 * `models/{model}:generateContent` (a GenerateContentResponse) and `models/{model}:streamGenerateContent`
 * (with `alt=sse`: one `data:` event per GenerateContentResponse chunk and no end marker; without it: the chunks
 * as one JSON array). The last chunk carries the finish reason; every chunk carries the usage so far.
 */
import type { MockReply, MockRouteContext } from '../../dialect.ts';
import { splitEvenly } from '../../text-tokens.ts';
import { modelNotFound } from './google-errors.ts';
import { GeminiRequestError } from './gemini-request-error.ts';
import { answer, promptTokens, type CandidateAnswer } from './mock-answer.ts';
import { readGenerateRequest, type GenerateRequest } from './read-generate-request.ts';

const SIGNATURE_BYTES = 24;

interface Answered {
  readonly request: GenerateRequest;
  readonly candidates: readonly CandidateAnswer[];
  readonly promptTokens: number;
  readonly model: string;
  readonly responseId: string;
  /** Gemini 3 models sign their function calls. */
  readonly signature: string | undefined;
}

function answerRequest(context: MockRouteContext, method: string): Answered {
  const { model, version } = context.request.params as { model: string; version: string };
  if (context.strictModels && !context.models.includes(model)) {
    throw new GeminiRequestError(modelNotFound(model, version, method));
  }
  const request = readGenerateRequest(context.request.body, model);
  const one = answer(request, context);
  return {
    request,
    candidates: Array.from({ length: request.candidateCount }, () => one),
    promptTokens: promptTokens(request),
    model,
    responseId: context.randomId(22),
    signature: model.startsWith('gemini-3')
      ? Buffer.from(context.randomId(SIGNATURE_BYTES)).toString('base64')
      : undefined,
  };
}

function usage(promptCount: number, candidatesCount: number): object {
  return {
    promptTokenCount: promptCount,
    candidatesTokenCount: candidatesCount,
    totalTokenCount: promptCount + candidatesCount,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: promptCount }],
  };
}

function parts(
  candidate: CandidateAnswer,
  text: string | undefined,
  signature: string | undefined,
): object[] {
  if (candidate.functionCalls.length > 0) {
    return candidate.functionCalls.map((call, i) => ({
      functionCall: { name: call.name, args: call.args },
      ...(i === 0 && signature !== undefined && { thoughtSignature: signature }),
    }));
  }
  return [{ text: text ?? '' }];
}

function totalTokens(answered: Answered): number {
  return answered.candidates.reduce((n, c) => n + c.tokens, 0);
}

export function generateContent(context: MockRouteContext): MockReply {
  const answered = answerRequest(context, 'generateContent');
  const output = totalTokens(answered);
  const body = {
    candidates: answered.candidates.map((c, index) => ({
      content: { parts: parts(c, c.text, answered.signature), role: 'model' },
      finishReason: c.finishReason,
      index,
    })),
    usageMetadata: usage(answered.promptTokens, output),
    modelVersion: answered.model,
    responseId: answered.responseId,
  };
  return { kind: 'json', status: 200, body, tokens: answered.promptTokens + output };
}

export function streamGenerateContent(context: MockRouteContext): MockReply {
  const answered = answerRequest(context, 'streamGenerateContent');
  const first = answered.candidates[0];
  const pieces: (string | undefined)[] =
    first === undefined || first.functionCalls.length > 0
      ? [undefined]
      : splitEvenly(first.text ?? '', context.behaviour.streamChunks);
  if (pieces.length === 0) pieces.push('');
  const output = totalTokens(answered);
  const chunks = pieces.map((piece, i) => {
    const last = i === pieces.length - 1;
    // Usage so far: candidate tokens grow with the pieces sent and are whole in the last chunk.
    const soFar = last ? output : Math.floor((output * (i + 1)) / pieces.length);
    return {
      candidates: answered.candidates.map((c, index) => ({
        content: { parts: parts(c, piece, answered.signature), role: 'model' },
        ...(last && { finishReason: c.finishReason }),
        index,
      })),
      usageMetadata: usage(answered.promptTokens, soFar),
      modelVersion: answered.model,
      responseId: answered.responseId,
    };
  });
  const tokens = answered.promptTokens + output;
  if (context.request.query.get('alt') !== 'sse') return { kind: 'json', status: 200, body: chunks, tokens };
  // Google frames each event with CRLF line endings.
  return { kind: 'sse', events: chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\r\n\r\n`), tokens };
}
