/**
 * Reads kong/include/kong/pluginsocket.proto (kong/pluginsocket.proto in 2.x): the rpcs of
 * `service Kong` with their input and output messages, and the fields of each message. Kong's
 * pb_rpc.lua serves exactly these rpcs, mapping `Request_GetHeader` to
 * `kong.request.get_header` (or to an explicit `option (MethodName)`), so this also says which
 * PDK function each rpc reaches.
 */

/** One rpc of `service Kong`. */
export interface ProtoRpc {
  rpc: string;
  input: string;
  output: string;
  /** The PDK function it calls, as pb_rpc.lua derives it. */
  method: string;
  line: number;
}

/** One field of a message. */
export interface ProtoField {
  name: string;
  type: string;
  repeated: boolean;
}

/** The parts of the proto the extractor uses. */
export interface ProtoFile {
  rpcs: ProtoRpc[];
  messages: Record<string, ProtoField[]>;
}

/**
 * pb_rpc.lua's name rule: `Kong.Request_GetHeader` → `kong.request.get_header`
 * (`_` → `.`, then `_` between a lower-case letter, digits included, and an upper-case one).
 */
export function rpcMethodName(service: string, rpc: string): string {
  return `${service}.${rpc}`
    .replace(/_/g, '.')
    .replace(/([a-z]\d*)([A-Z])/g, '$1_$2')
    .toLowerCase();
}

function stripComments(src: string): string {
  // Keeps newlines so line numbers stay right.
  return src.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/\/\/[^\n]*/g, '');
}

/** Parses a pluginsocket.proto source. */
export function readProto(src: string): ProtoFile {
  const text = stripComments(src);
  const lineAt = (offset: number): number => text.slice(0, offset).split('\n').length;
  const rpcs: ProtoRpc[] = [];
  const service = /service\s+(\w+)\s*\{/g;
  for (let m = service.exec(text); m; m = service.exec(text)) {
    const name = m[1]!;
    // The service body: up to the brace that closes it.
    let depth = 0;
    let end = m.index + m[0].length - 1;
    for (let k = end; k < text.length; k++) {
      if (text[k] === '{') depth++;
      else if (text[k] === '}' && --depth === 0) {
        end = k;
        break;
      }
    }
    const body = text.slice(m.index, end);
    const rpc = /rpc\s+(\w+)\s*\(\s*([\w.]+)\s*\)\s*returns\s*\(\s*([\w.]+)\s*\)\s*(\{[^}]*\})?/g;
    for (let r = rpc.exec(body); r; r = rpc.exec(body)) {
      const option = r[4] ? /option\s*\(\s*MethodName\s*\)\s*=\s*"([^"]+)"/.exec(r[4]) : null;
      rpcs.push({
        rpc: r[1]!,
        input: r[2]!,
        output: r[3]!,
        method: option ? option[1]! : rpcMethodName(name, r[1]!),
        line: lineAt(m.index + r.index),
      });
    }
  }
  const messages: Record<string, ProtoField[]> = {};
  const message = /message\s+(\w+)\s*\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}/g;
  for (let m = message.exec(text); m; m = message.exec(text)) {
    const fields: ProtoField[] = [];
    const field = /(repeated\s+)?(map\s*<[^>]+>|[\w.]+)\s+(\w+)\s*=\s*\d+/g;
    for (let f = field.exec(m[2]!); f; f = field.exec(m[2]!)) {
      if (f[2] === 'option') continue;
      fields.push({ name: f[3]!, type: f[2]!.replace(/\s+/g, ''), repeated: Boolean(f[1]) });
    }
    messages[m[1]!] = fields;
  }
  return { rpcs, messages };
}

/** The Lua type a proto message or scalar stands for, from the PDK's side (for RPC-only functions). */
export function luaTypeOfProto(proto: ProtoFile, type: string): string {
  const scalars: Record<string, string> = {
    string: 'string',
    bytes: 'string',
    bool: 'boolean',
    int32: 'number',
    int64: 'number',
    uint32: 'number',
    uint64: 'number',
    double: 'number',
    float: 'number',
    'google.protobuf.Value': 'any',
    'google.protobuf.Struct': 'table',
    'google.protobuf.ListValue': 'table',
  };
  if (scalars[type]) return scalars[type];
  // One-field wrappers (String, Int, Bool, Number, ByteString) stand for their field.
  const fields = proto.messages[type];
  if (fields && fields.length === 1 && fields[0]!.name === 'v') return luaTypeOfProto(proto, fields[0]!.type);
  return 'table';
}

/**
 * The parameters a message stands for when it is an rpc's input: none for Empty, one for a
 * one-field wrapper, one per field for a record such as KV (`k`, `v`).
 */
export function paramsOfProto(proto: ProtoFile, type: string): { name: string; type: string }[] {
  if (type === 'google.protobuf.Empty') return [];
  const fields = proto.messages[type];
  if (fields && fields.length > 1)
    return fields.map((f) => ({ name: f.name, type: f.repeated ? 'table' : luaTypeOfProto(proto, f.type) }));
  return [{ name: 'v', type: luaTypeOfProto(proto, type) }];
}
