/**
 * One accepted connection: bytes in, decoded requests to the dispatcher, one reply per request
 * out. A connection carries no event state (Kong moves an event's Steps across its pooled
 * connections), so closing one loses nothing but its unanswered replies.
 */
import type * as net from 'node:net';
import { dispatch, RpcCallError, RpcErrors, withoutContractPhrase, type RpcHandlers } from '../../generated/index.js';
import { errorText, type Logger, type RepeatLimiter } from '../log.js';
import type { ServerMeters } from '../metrics/index.js';
import { encodeNotification, encodeResponse, MessageDecoder, type DecodeResult } from '../wire/index.js';

/** What a connection needs from the server. */
export interface ConnectionContext {
  readonly handlers: RpcHandlers;
  readonly logger: Logger;
  /** Where the warnings a flood of bad clients would repeat go (rate-limited). */
  readonly warnings: RepeatLimiter;
  readonly meters: ServerMeters;
  readonly maxMessageBytes: number;
  /** Most map and array entries accepted in one message (undefined: the wire layer's default). */
  readonly maxMessageEntries?: number;
  /** Pre-encoded `[2, "serverPid", pid]`, or undefined to send no greeting. */
  readonly greeting: Uint8Array | undefined;
}

/** Pre-encodes the greeting for this process. */
export function serverPidGreeting(pid = process.pid): Uint8Array {
  return encodeNotification('serverPid', pid);
}

/** The reply text for a thrown error. Only the dispatcher's and handlers' own texts may carry
 * the contract phrase: Kong resets instances on it, so anything else is reworded. */
function replyError(e: unknown): string {
  if (e instanceof RpcCallError) return e.message;
  return withoutContractPhrase(RpcErrors.InternalError(errorText(e)));
}

/** Serves one socket until it closes. */
export function serveConnection(socket: net.Socket, ctx: ConnectionContext): void {
  const { handlers, logger, warnings, meters } = ctx;
  const decoder = new MessageDecoder({
    maxMessageBytes: ctx.maxMessageBytes,
    sliceLargeMessages: true,
    ...(ctx.maxMessageEntries === undefined ? {} : { maxMessageEntries: ctx.maxMessageEntries }),
  });

  // Kong 3.1–3.4 probe the socket by connecting and closing at once: a failing greeting
  // write must only be logged.
  socket.on('error', (e) => logger.debug(`connection error: ${errorText(e)}`));

  const reply = (msgid: number, error: string | null, result: unknown): void => {
    if (socket.destroyed) return;
    let bytes: Uint8Array;
    try {
      bytes = encodeResponse(msgid, error, result);
    } catch (e) {
      logger.error(`cannot encode the reply to request ${msgid}: ${errorText(e)}`);
      bytes = encodeResponse(msgid, RpcErrors.UnencodableReply(errorText(e)), null);
    }
    socket.write(bytes);
  };

  const handle = (message: unknown): boolean => {
    if (!Array.isArray(message) || message.length < 2) {
      meters.refused('not-a-request');
      warnings.warn('not-a-request', 'closing a connection that sent something other than a request array');
      socket.destroy();
      return false;
    }
    const msgid = message[1];
    if (typeof msgid !== 'number' || !Number.isInteger(msgid) || msgid < 0) {
      meters.refused('bad-msgid');
      warnings.warn('bad-msgid', 'closing a connection that sent a message without a valid msgid');
      socket.destroy();
      return false;
    }
    if (message[0] !== 0 || message.length !== 4) {
      const text = RpcErrors.MalformedRequest();
      meters.refused('malformed-request');
      warnings.warn('malformed-request', `request ${msgid}: ${text}`);
      reply(msgid, text, null);
      return true;
    }
    let result: unknown;
    try {
      result = dispatch(handlers, message[2], message[3]);
    } catch (e) {
      if (!(e instanceof RpcCallError))
        logger.error(`request ${msgid} (${String(message[2])}) failed: ${errorText(e)}`);
      else logger.debug(`request ${msgid} (${String(message[2])}): ${e.message}`);
      reply(msgid, replyError(e), null);
      return true;
    }
    if (result instanceof Promise) {
      result.then(
        (r: unknown) => reply(msgid, null, r),
        (e: unknown) => {
          logger.debug(`request ${msgid} (${String(message[2])}): ${errorText(e)}`);
          reply(msgid, replyError(e), null);
        },
      );
    } else {
      reply(msgid, null, result);
    }
    return true;
  };

  /** Acts on one decoder result; false when the connection is finished. */
  const act = (r: DecodeResult): boolean => {
    if (r.kind === 'message') return handle(r.value);
    if (r.kind === 'too-large') {
      const text = RpcErrors.MessageTooLarge(r.size, r.limit);
      meters.refused('too-large');
      warnings.warn('too-large', `${text}; closing the connection`);
      if (r.msgid !== undefined) reply(r.msgid, text, null);
      socket.end();
      return false;
    }
    if (r.kind === 'too-many-entries') {
      meters.refused('too-many-entries');
      warnings.warn(
        'too-many-entries',
        `message with more than ${r.limit} map and array entries refused; closing the connection`,
      );
      if (r.msgid !== undefined) reply(r.msgid, RpcErrors.TooManyEntries(r.limit), null);
      socket.end();
      return false;
    }
    if (r.kind === 'fatal') {
      meters.refused('undecodable');
      warnings.warn('undecodable', `closing a connection that sent undecodable bytes: ${r.reason}`);
      socket.destroy();
      return false;
    }
    return true;
  };

  // A large message is decoded in slices (other connections are served in between); this
  // connection's later results wait for it, in order, with reading paused meanwhile.
  let backlog: DecodeResult[] | undefined;
  const run = (results: DecodeResult[]): void => {
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      if (r.kind === 'deferred') {
        backlog = results.slice(i + 1);
        socket.pause();
        void r.result.then((done) => {
          const rest = backlog ?? [];
          backlog = undefined;
          if (socket.destroyed) return;
          socket.resume();
          run([done, ...rest]);
        });
        return;
      }
      if (!act(r)) return;
    }
  };

  socket.on('data', (chunk: Buffer) => {
    const results = decoder.push(chunk);
    if (backlog !== undefined) backlog.push(...results);
    else run(results);
  });

  if (ctx.greeting) socket.write(ctx.greeting);
}
