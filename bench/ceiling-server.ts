/**
 * The benchmark's ceiling: a bare Node.js unix-socket server that answers the
 * echo scenario's messages with canned replies — no plugin, no PDK, no event
 * machinery, no instance registry. Whatever one Node thread can do with the
 * same socket traffic, this does, so "ours / ceiling" is the share of the
 * attainable rate our plugin server reaches.
 *
 * Wire: the same codec as our server (MessageDecoder for streaming framing +
 * decoding, encodeResponse/encodeNotification from src/wire), so the gap to
 * our server is the plugin, the PDK bridge and the event bookkeeping, not the
 * MessagePack library. One socket.write per reply, as in our server.
 * `--codec msgpack` swaps the codec generated from the IDL for the general
 * path alone (@msgpack/msgpack behind the same framing), to measure what the
 * generated codec is worth.
 *
 * Replies:
 *   greeting                 [2, "serverPid", pid] on every connection
 *   plugin.StartInstance     {Id, Name, Config, StartTime}
 *   plugin.HandleEvent       {EventId, Data: {Method: "kong.request.get_header", Args: ["host"]}}
 *   plugin.Step (1st..3rd)   {EventId, Data: {Method: "kong.response.set_header", Args: [...]}}
 *   plugin.Step (4th)        {EventId, Data: "ret"}
 *   anything else            an error reply
 *
 * Started like the plugin servers: `node dist/bench/ceiling-server.js
 * -d DIR -p PREFIX --sock-name NAME [--codec generated|msgpack]` (-d is
 * accepted and ignored).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { MessageDecoder, encodeNotification, encodeResponse, encodeResponseGeneral } from '../src/wire/index.js';

/** Which wire codec the ceiling runs on. */
type Codec = 'generated' | 'msgpack';

function parseArgs(argv: string[]): { sock: string; codec: Codec } {
  let prefix = '.';
  let sockName = 'ceiling.sock';
  let codec: Codec = 'generated';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if ((a === '-p' || a === '--kong-prefix') && v !== undefined) {
      prefix = v;
      i++;
    } else if (a === '--sock-name' && v !== undefined) {
      sockName = v;
      i++;
    } else if ((a === '-d' || a === '--plugins-directory') && v !== undefined) {
      i++;
    } else if (a === '--codec' && (v === 'generated' || v === 'msgpack')) {
      codec = v;
      i++;
    } else if (a === '--codec') {
      throw new Error(`--codec takes generated or msgpack, not ${String(v)}`);
    }
  }
  return { sock: path.join(prefix, sockName), codec };
}

const HANDLE_DATA = { Method: 'kong.request.get_header', Args: ['host'] };
const STEP_DATA = [
  { Method: 'kong.response.set_header', Args: ['x-bench-host', 'bench.example.com'] },
  { Method: 'kong.response.set_header', Args: ['x-bench-a', 'a'] },
  { Method: 'kong.response.set_header', Args: ['x-bench-b', 'b'] },
];

/** EventId -> Steps answered so far (the only per-event state) */
const steps = new Map<number, number>();
let nextEventId = 0;
let nextInstanceId = 0;
const greeting = encodeNotification('serverPid', process.pid);

function firstParam(params: unknown): Record<string, unknown> {
  const p = Array.isArray(params) ? (params[0] as unknown) : undefined;
  return typeof p === 'object' && p !== null ? (p as Record<string, unknown>) : {};
}

function answer(method: unknown, params: unknown): [string | null, unknown] {
  if (method === 'plugin.Step') {
    const id = firstParam(params)['EventId'];
    if (typeof id !== 'number') return ['no EventId', null];
    const n = steps.get(id);
    if (n === undefined) return ['no running event', null];
    if (n < STEP_DATA.length) {
      steps.set(id, n + 1);
      return [null, { EventId: id, Data: STEP_DATA[n] }];
    }
    steps.delete(id);
    return [null, { EventId: id, Data: 'ret' }];
  }
  if (method === 'plugin.HandleEvent') {
    const id = nextEventId++;
    steps.set(id, 0);
    return [null, { EventId: id, Data: HANDLE_DATA }];
  }
  if (method === 'plugin.StartInstance') {
    const p = firstParam(params);
    return [
      null,
      { Id: nextInstanceId++, Name: p['Name'], Config: p['Config'], StartTime: Math.floor(Date.now() / 1000) },
    ];
  }
  return [`ceiling server: ${String(method)} not supported`, null];
}

function serve(socket: net.Socket, codec: Codec): void {
  const decoder = new MessageDecoder({ generatedReader: codec === 'generated' });
  const encode = codec === 'generated' ? encodeResponse : encodeResponseGeneral;
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    for (const r of decoder.push(chunk)) {
      if (r.kind !== 'message' || !Array.isArray(r.value) || r.value.length !== 4 || r.value[0] !== 0) {
        socket.destroy();
        return;
      }
      const msg = r.value as unknown[];
      const [error, result] = answer(msg[2], msg[3]);
      socket.write(encode(msg[1] as number, error, result));
    }
  });
  socket.write(greeting);
}

function main(): void {
  const { sock, codec } = parseArgs(process.argv.slice(2));
  try {
    fs.unlinkSync(sock);
  } catch {
    // not there
  }
  const server = net.createServer((socket) => serve(socket, codec));
  server.listen(sock, () =>
    process.stderr.write(`ceiling server (${codec} codec) listening on ${sock} (pid ${process.pid})\n`),
  );
  const stop = (): void => {
    server.close();
    try {
      fs.unlinkSync(sock);
    } catch {
      // gone
    }
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
