import { describe, expect, it } from '@jest/globals';
import { createLogger, type Logger, type LogLevel } from './log.ts';

/** A logger at `level` writing into `lines`, at a fixed time. */
function capture(level: LogLevel, base?: Record<string, string>): { log: Logger; lines: unknown[] } {
  const lines: unknown[] = [];
  const log = createLogger({
    level,
    sink: (line) => lines.push(JSON.parse(line)),
    now: () => Date.UTC(2026, 0, 2, 3, 4, 5),
    ...(base && { base }),
  });
  return { log, lines };
}

const TIME = '2026-01-02T03:04:05.000Z';

describe('structured logger', () => {
  it.each<{ name: string; write: (log: Logger) => void; expected: unknown[] }>([
    {
      name: 'a line holds time, level, message, the base fields and its own, in that order',
      write: (log) => log.warn('hello', { a: 1 }),
      expected: [{ time: TIME, level: 'warn', msg: 'hello', app: 'x', a: 1 }],
    },
    {
      name: 'lines below the level are dropped',
      write: (log) => {
        log.debug('d');
        log.info('i');
        log.error('e');
      },
      expected: [{ time: TIME, level: 'error', msg: 'e', app: 'x' }],
    },
    {
      name: "a child adds its fields to its parent's, and a grandchild to both",
      write: (log) => log.child({ requestId: 'r1' }).child({ attempt: 2 }).warn('w'),
      expected: [{ time: TIME, level: 'warn', msg: 'w', app: 'x', requestId: 'r1', attempt: 2 }],
    },
    {
      name: "a child's field overrides its parent's, and a line's field overrides both",
      write: (log) => {
        const child = log.child({ app: 'y', b: 'child' });
        child.warn('one');
        child.warn('two', { b: 'line' });
      },
      expected: [
        { time: TIME, level: 'warn', msg: 'one', app: 'y', b: 'child' },
        { time: TIME, level: 'warn', msg: 'two', app: 'y', b: 'line' },
      ],
    },
    {
      name: 'siblings do not see each other, nor the parent a child',
      write: (log) => {
        const parent = log.child({ p: 1 });
        parent.child({ c: 'a' }).warn('a');
        parent.child({ c: 'b' }).warn('b');
        parent.warn('p');
      },
      expected: [
        { time: TIME, level: 'warn', msg: 'a', app: 'x', p: 1, c: 'a' },
        { time: TIME, level: 'warn', msg: 'b', app: 'x', p: 1, c: 'b' },
        { time: TIME, level: 'warn', msg: 'p', app: 'x', p: 1 },
      ],
    },
    {
      name: "a child keeps the fields it was given, even if the caller's object changes later",
      write: (log) => {
        const fields: Record<string, string> = { k: 'before' };
        const child = log.child(fields);
        fields.k = 'after';
        child.warn('w');
      },
      expected: [{ time: TIME, level: 'warn', msg: 'w', app: 'x', k: 'before' }],
    },
  ])('$name', ({ write, expected }) => {
    const { log, lines } = capture('warn', { app: 'x' });
    write(log);
    expect(lines).toEqual(expected);
    // Key order is part of the format (time, level and message first).
    for (const [i, line] of lines.entries()) {
      expect(Object.keys(line as object)).toEqual(Object.keys(expected[i] as object));
    }
  });
});
