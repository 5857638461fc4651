/**
 * Anthropic Messages request → the sidecar's internal OpenAI Chat Completions request, which every provider
 * adapter reads. What has no counterpart is left out: `top_k`, `thinking`, `cache_control`, citations.
 */
import type { ChatCompletionRequest } from '../openai-requests.ts';
import { InvalidRequestError } from '../../core/errors.ts';
import type { ContentBlock, MessageParam, MessagesRequest, ToolChoice } from './messages-request.ts';

type TextPart = { type: 'text'; text: string };
type ContentPart =
  | TextPart
  | { type: 'image_url'; image_url: { url: string } }
  | { type: 'file'; file: { filename: string; file_data: string } };

interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

type OpenAIMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | ContentPart[] }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

type OpenAIToolChoice = 'auto' | 'required' | 'none' | { type: 'function'; function: { name: string } };

export function toOpenAIChatRequest(request: MessagesRequest): ChatCompletionRequest {
  const messages: OpenAIMessage[] = [];
  const system = systemText(request.system);
  if (system !== undefined) messages.push({ role: 'system', content: system });
  request.messages.forEach((message, i) => messages.push(...convertMessage(message, `messages[${i}]`)));

  const body: ChatCompletionRequest = {
    model: request.model,
    messages,
    max_completion_tokens: request.max_tokens,
  };
  if (request.stop_sequences !== undefined && request.stop_sequences.length > 0)
    body.stop = request.stop_sequences;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.top_p !== undefined) body.top_p = request.top_p;
  if (typeof request.metadata?.user_id === 'string') body.user = request.metadata.user_id;
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description !== undefined && { description: tool.description }),
        parameters: tool.input_schema,
      },
    }));
    if (request.tool_choice !== undefined) {
      body.tool_choice = toolChoice(request.tool_choice);
      if (
        'disable_parallel_tool_use' in request.tool_choice &&
        request.tool_choice.disable_parallel_tool_use
      ) {
        body.parallel_tool_calls = false;
      }
    }
  }
  if (request.stream === true) {
    body.stream = true;
    // Anthropic's message_delta carries the usage, so the stream must end with OpenAI's usage chunk.
    body.stream_options = { include_usage: true };
  }
  return body;
}

function systemText(system: MessagesRequest['system']): string | undefined {
  const text = system?.map((block) => block.text).join('\n');
  return text === '' ? undefined : text;
}

function toolChoice(choice: ToolChoice): OpenAIToolChoice {
  switch (choice.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      return { type: 'function', function: { name: choice.name } };
  }
}

function convertMessage(message: MessageParam, where: string): OpenAIMessage[] {
  return message.role === 'user'
    ? userMessages(message.content, where)
    : [assistantMessage(message.content, where)];
}

/**
 * A user turn: its tool results become `tool` messages first (OpenAI wants them right after the assistant's
 * tool calls), then the rest of its content as one user message. Images inside a tool result move into that
 * user message, as OpenAI's tool messages carry text only.
 */
function userMessages(blocks: readonly ContentBlock[], where: string): OpenAIMessage[] {
  const toolMessages: OpenAIMessage[] = [];
  const parts: ContentPart[] = [];
  blocks.forEach((block, j) => {
    const at = `${where}.content[${j}]`;
    switch (block.type) {
      case 'tool_result': {
        const content = block.content ?? [];
        const text = content.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('\n');
        // OpenAI has no error flag on tool results: say it in the text, so the model still learns the call failed.
        toolMessages.push({
          role: 'tool',
          tool_call_id: block.tool_use_id,
          content: block.is_error ? `Error: ${text}` : text,
        });
        for (const c of content) if (c.type === 'image') parts.push(imagePart(c));
        break;
      }
      case 'tool_use':
        throw new InvalidRequestError(`${at}: tool_use blocks belong in assistant messages`, `${at}.type`);
      case 'thinking':
      case 'redacted_thinking':
        break;
      default:
        parts.push(contentPart(block));
    }
  });
  if (parts.length === 0) return toolMessages;
  const only = parts[0];
  const content = parts.length === 1 && only?.type === 'text' ? only.text : parts;
  return [...toolMessages, { role: 'user', content }];
}

function assistantMessage(blocks: readonly ContentBlock[], where: string): OpenAIMessage {
  let text = '';
  const toolCalls: ToolCall[] = [];
  blocks.forEach((block, j) => {
    const at = `${where}.content[${j}]`;
    switch (block.type) {
      case 'text':
        text += block.text;
        break;
      case 'tool_use':
        toolCalls.push({
          id: block.id,
          type: 'function',
          function: { name: block.name, arguments: JSON.stringify(block.input) },
        });
        break;
      case 'thinking':
      case 'redacted_thinking':
        break;
      default:
        throw new InvalidRequestError(`${at}: ${block.type} blocks belong in user messages`, `${at}.type`);
    }
  });
  if (toolCalls.length === 0) return { role: 'assistant', content: text };
  return { role: 'assistant', content: text === '' ? null : text, tool_calls: toolCalls };
}

type UserContentBlock = Extract<ContentBlock, { type: 'text' | 'image' | 'document' }>;

function contentPart(block: UserContentBlock): ContentPart {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'image':
      return imagePart(block);
    case 'document':
      if (block.source.type === 'text') return { type: 'text', text: block.source.data };
      return {
        type: 'file',
        file: {
          filename: block.title ?? 'document.pdf',
          file_data: `data:application/pdf;base64,${block.source.data}`,
        },
      };
  }
}

function imagePart(block: Extract<ContentBlock, { type: 'image' }>): ContentPart {
  const { source } = block;
  const url = source.type === 'url' ? source.url : `data:${source.media_type};base64,${source.data}`;
  return { type: 'image_url', image_url: { url } };
}
