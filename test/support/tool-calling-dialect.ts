/**
 * A test-only variant of the OpenAI mock dialect whose model calls tools: when a chat request offers tools and
 * its last message is not a tool result, it calls the first tool with `{"query": <last user text>}`; after a tool
 * result it answers "Tool said: <result>". Everything else is the OpenAI mock's. Bodies and chunks follow
 * OpenAI's documented Chat Completions formats (tool_calls, streamed argument fragments, finish_reason
 * "tool_calls").
 */
import type { MockDialect, MockReply, MockRouteContext } from '../../mock-provider/dialect.ts';
import { contentText } from '../../mock-provider/dialects/openai/chat-completions.ts';
import { openAiDialect } from '../../mock-provider/dialects/openai/openai-dialect.ts';
import { isRecord } from '../../core/json.ts';
import { formatSseEvent, SSE_DONE } from '../../core/sse/sse-writer.ts';

type Json = Record<string, unknown>;

const USAGE = { prompt_tokens: 30, completion_tokens: 12, total_tokens: 42 };

function toolTurn(context: MockRouteContext): MockReply | undefined {
  const body = context.request.body;
  if (
    !isRecord(body) ||
    !Array.isArray(body.messages) ||
    !Array.isArray(body.tools) ||
    body.tools.length === 0
  ) {
    return undefined;
  }
  const messages = body.messages.filter(isRecord);
  const last = messages.at(-1);
  const stream = body.stream === true;
  const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
  const base = {
    id: `chatcmpl-${context.randomId(12)}`,
    created: context.nowSeconds,
    model: String(body.model),
  };
  if (last?.role === 'tool') {
    return answer(
      base,
      { role: 'assistant', content: `Tool said: ${contentText(last.content)}` },
      'stop',
      stream,
      includeUsage,
    );
  }
  const tool: unknown = body.tools[0];
  const name = isRecord(tool) && isRecord(tool.function) ? String(tool.function.name) : 'tool';
  const query = contentText(messages.filter((m) => m.role === 'user').at(-1)?.content);
  const call = {
    id: `call_${context.randomId(8)}`,
    type: 'function',
    function: { name, arguments: JSON.stringify({ query }) },
  };
  return answer(
    base,
    { role: 'assistant', content: null, tool_calls: [call] },
    'tool_calls',
    stream,
    includeUsage,
  );
}

function answer(
  base: { id: string; created: number; model: string },
  message: Json & {
    tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
  },
  finish: string,
  stream: boolean,
  includeUsage: boolean,
): MockReply {
  if (!stream) {
    const body = {
      ...base,
      object: 'chat.completion',
      choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
      usage: USAGE,
    };
    return { kind: 'json', status: 200, body, tokens: USAGE.total_tokens };
  }
  const chunk = (delta: Json, finishReason: string | null = null) =>
    formatSseEvent({
      data: JSON.stringify({
        ...base,
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      }),
    });
  const events = [chunk({ role: 'assistant', content: message.tool_calls ? null : '' })];
  if (typeof message.content === 'string') events.push(chunk({ content: message.content }));
  for (const [index, call] of (message.tool_calls ?? []).entries()) {
    const args = call.function.arguments;
    const half = Math.floor(args.length / 2);
    events.push(
      chunk({
        tool_calls: [
          { index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } },
        ],
      }),
    );
    events.push(chunk({ tool_calls: [{ index, function: { arguments: args.slice(0, half) } }] }));
    events.push(chunk({ tool_calls: [{ index, function: { arguments: args.slice(half) } }] }));
  }
  events.push(chunk({}, finish));
  if (includeUsage) {
    events.push(
      formatSseEvent({
        data: JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage: USAGE }),
      }),
    );
  }
  events.push(SSE_DONE);
  return { kind: 'sse', events, tokens: USAGE.total_tokens };
}

export const toolCallingDialect: MockDialect = {
  ...openAiDialect,
  name: 'openai-tool-calling',
  routes: openAiDialect.routes.map((route) =>
    route.pattern === '/v1/chat/completions'
      ? { ...route, handle: (context: MockRouteContext) => toolTurn(context) ?? route.handle(context) }
      : route,
  ),
};
