import { STATUS_CODES } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ProtocolError, RequestTimeoutError, toOpenAIError, type SwitchboardError } from '../core/errors.ts';

/** Node's own errors for what its HTTP parser refused (llhttp's `HPE_*` codes and its timeouts), as the sidecar's. */
function protocolError(code: string | undefined): SwitchboardError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ProtocolError('headers-too-large', code);
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new RequestTimeoutError('request headers or body');
    default:
      return new ProtocolError('malformed', code ?? 'unknown error');
  }
}

/** The whole HTTP response for a protocol-level refusal, which has no ServerResponse to write it. */
function rawResponse(err: SwitchboardError): string {
  const { status, headers, body } = toOpenAIError(err);
  const text = JSON.stringify(body);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'content-type: application/json',
    `content-length: ${Buffer.byteLength(text)}`,
    'connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${text}`;
}

/**
 * The server's `clientError` listener: Node's parser refused what came in (headers too large: 431, a header or
 * request timeout: 408, anything malformed: 400). Node's own answer has an empty body; this one has the OpenAI
 * error shape — the route is not known this early, so it is always the OpenAI shape — and `connection: close`.
 * Nothing is written when the client is gone, when a response already started on the connection (its bytes
 * would corrupt it), or when a connection timed out without sending a byte: there is no request to answer,
 * as with an idle keep-alive connection, which is closed without a word.
 */
export function createClientErrorListener(
  responseStarted: (socket: Duplex) => boolean,
): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  const answered = new WeakSet<Duplex>();
  return (err, socket) => {
    const silent =
      err.code === 'ECONNRESET' ||
      !socket.writable ||
      answered.has(socket) ||
      responseStarted(socket) ||
      (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && socket instanceof Socket && socket.bytesRead === 0);
    if (silent) {
      socket.destroy();
      return;
    }
    answered.add(socket);
    socket.end(rawResponse(protocolError(err.code)), () => socket.destroy());
  };
}
