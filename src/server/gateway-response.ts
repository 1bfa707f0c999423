/**
 * The gateway's responses: node's ServerResponse that echoes the request id (`x-request-id`) on every
 * response. The id goes into the headers `writeHead` is given instead of being set up front with
 * `setHeader`: a header set beforehand makes node:http merge every later header through `setHeader`
 * (validated, lower-cased and stored one by one) on each response (docs/PERFORMANCE.md).
 */
import {
  ServerResponse,
  type IncomingMessage,
  type OutgoingHttpHeader,
  type OutgoingHttpHeaders,
} from 'node:http';

const REQUEST_ID = 'x-request-id';

export class GatewayResponse<
  Request extends IncomingMessage = IncomingMessage,
> extends ServerResponse<Request> {
  /** Set by the server as the request arrives, before anything is written. */
  requestId = '';

  override writeHead(
    statusCode: number,
    reasonOrHeaders?: string | OutgoingHttpHeaders | OutgoingHttpHeader[],
    headers?: OutgoingHttpHeaders | OutgoingHttpHeader[],
  ): this {
    const given = typeof reasonOrHeaders === 'string' ? headers : reasonOrHeaders;
    if (this.requestId) {
      // The callers' header objects are their own, made for this response; anything else (none, an
      // array, a frozen object, written implicitly by `end()`) gets the id the general way.
      if (given && !Array.isArray(given) && !Object.isFrozen(given)) given[REQUEST_ID] ??= this.requestId;
      else if (!this.hasHeader(REQUEST_ID)) this.setHeader(REQUEST_ID, this.requestId);
    }
    return typeof reasonOrHeaders === 'string'
      ? super.writeHead(statusCode, reasonOrHeaders, headers)
      : super.writeHead(statusCode, reasonOrHeaders);
  }
}
