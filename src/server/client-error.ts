/**
 * What a client gets when node:http itself refuses its request before any handler runs: oversized
 * headers (431), headers or body not received within the server's limits (408), anything that is not
 * HTTP (400). The answer is OpenAI's error shape, like every other error, and the connection closes.
 */
import type { Duplex } from 'node:stream';
import { ApiError } from '../core/errors.js';

function refusal(error: NodeJS.ErrnoException, maxHeaderBytes: number): ApiError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ApiError({
        status: 431,
        message: `The request headers exceed the limit of ${maxHeaderBytes} bytes.`,
        type: 'invalid_request_error',
        code: 'request_header_fields_too_large',
      });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ApiError({
        status: 408,
        message: 'The request headers or body were not received in time.',
        type: 'invalid_request_error',
        code: 'request_timeout',
      });
    default:
      return new ApiError({
        status: 400,
        message: `The request is not valid HTTP (${error.code ?? 'parse error'}).`,
        type: 'invalid_request_error',
        code: 'bad_request',
      });
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/** The server's `clientError` listener: answers in OpenAI's shape when nothing was answered yet. */
export function answerClientError(error: Error, socket: Duplex, maxHeaderBytes: number): void {
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const refused = refusal(error as NodeJS.ErrnoException, maxHeaderBytes);
  const body = JSON.stringify(refused.toBody());
  socket.end(
    `HTTP/1.1 ${refused.status} ${REASONS[refused.status]}\r\n` +
      'content-type: application/json\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'connection: close\r\n\r\n' +
      body,
  );
  // The client may still be sending (a body that was too slow): close once the answer is out.
  socket.once('finish', () => socket.destroy());
}
