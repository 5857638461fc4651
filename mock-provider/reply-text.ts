import type { MockBehaviour } from './behaviour.ts';
import { takeCodePoints } from './text-tokens.ts';

const ECHO_LIMIT = 200;

/** What a mock model answers: the fixed `replyText` knob, or a short echo naming the provider. */
export function mockReplyText(
  providerName: string,
  behaviour: Readonly<MockBehaviour>,
  prompt: string,
): string {
  if (behaviour.replyText !== null) return behaviour.replyText;
  const echo = prompt.trim() === '' ? '(no prompt)' : takeCodePoints(prompt.trim(), ECHO_LIMIT);
  return `Hello from ${providerName}. You said: ${echo}`;
}

/**
 * What the mock model writes after `prefix`, the text of a final assistant turn it continues: the rest of the
 * reply when the reply starts with it (so an answer cut anywhere and continued reads exactly as the whole reply),
 * else the whole reply.
 */
export function continuedReply(reply: string, prefix: string): string {
  return prefix !== '' && reply.startsWith(prefix) ? reply.slice(prefix.length) : reply;
}
