/**
 * JSON Schemas (draft 2020-12 subset that ajv's default build checks) for the four IDL files.
 * The loader validates each file against its schema before anything else reads it, so a
 * malformed IDL fails with a file, a path and a reason instead of a crash in an emitter.
 */

const typeExpr = { type: 'string', minLength: 1 } as const;
const doc = { type: 'string', minLength: 1 } as const;
const identifier = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } as const;
const version = { type: 'string', pattern: '^(\\d+\\.\\d+\\.\\d+|main)$' } as const;
const phase = {
  type: 'string',
  enum: ['init_worker', 'certificate', 'rewrite', 'access', 'balancer', 'header_filter', 'response', 'body_filter', 'log', 'preread', 'admin_api', 'timer', 'any'],
} as const;

const pdkName = { type: 'string', pattern: '^kong(\\.[a-z_][a-z0-9_]*)+$' } as const;

const field = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'type'],
  properties: { name: identifier, type: typeExpr, optional: { type: 'boolean' }, doc },
} as const;

const namedType = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[A-Z][A-Za-z0-9]*$' },
    doc,
    alias: typeExpr,
    open: { type: 'boolean' },
    fields: { type: 'array', items: field },
  },
  oneOf: [{ required: ['alias'] }, { required: ['fields'] }],
} as const;

/** Schema of `idl/entities.yaml`. */
export const entitiesSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['format', 'types'],
  properties: {
    format: { const: 'kong-ts-pdk/entities/1' },
    types: { type: 'array', items: namedType },
  },
} as const;

/** Schema of `idl/rpc.yaml`. */
export const rpcSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['format', 'namespace', 'protocol', 'phases', 'exit_phases', 'refused_phases', 'contract_phrase', 'fail_closed', 'errors', 'types', 'methods'],
  properties: {
    format: { const: 'kong-ts-pdk/rpc/1' },
    namespace: identifier,
    protocol: { type: 'string', minLength: 1 },
    phases: { type: 'array', minItems: 1, uniqueItems: true, items: phase },
    exit_phases: { type: 'array', uniqueItems: true, items: phase },
    refused_phases: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'why'],
        properties: { name: phase, why: doc },
      },
    },
    contract_phrase: {
      type: 'object',
      additionalProperties: false,
      required: ['text', 'replacement'],
      properties: { text: { type: 'string', minLength: 1 }, replacement: { type: 'string', minLength: 1 } },
    },
    fail_closed: {
      type: 'object',
      additionalProperties: false,
      required: ['status', 'message'],
      properties: { status: { type: 'integer', minimum: 100, maximum: 599 }, message: { type: 'string', minLength: 1 } },
    },
    log_timer: {
      type: 'object',
      additionalProperties: false,
      required: ['ngx_ctx_since', 'ngx_ctx', 'raises'],
      properties: {
        ngx_ctx_since: version,
        ngx_ctx: { type: 'array', uniqueItems: true, items: pdkName },
        raises: { type: 'array', uniqueItems: true, items: pdkName },
      },
    },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'text', 'doc'],
        properties: {
          name: { type: 'string', pattern: '^[A-Z][A-Za-z0-9]*$' },
          text: { type: 'string', minLength: 1 },
          kind: { enum: ['reply', 'envelope', 'refusal', 'reason', 'instance'] },
          contract: { type: 'boolean' },
          doc,
        },
      },
    },
    types: { type: 'array', items: namedType },
    methods: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'param', 'result', 'doc'],
        properties: {
          name: { type: 'string', pattern: '^[A-Z][A-Za-z0-9]*$' },
          param: field,
          result: typeExpr,
          handler: { type: 'string', pattern: '^[A-Z][A-Za-z0-9]*$' },
          doc,
        },
      },
    },
  },
} as const;

const luaName = { type: 'string', pattern: '^[a-z_][a-z0-9_]*$' } as const;

/** Schema of `idl/pdk.yaml` (written by `kong-ts-pdk extract`). */
export const pdkSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['format', 'kong', 'functions'],
  properties: {
    format: { const: 'kong-ts-pdk/pdk/1' },
    kong: {
      type: 'object',
      additionalProperties: false,
      required: ['version', 'tracked'],
      properties: {
        version: { type: 'string' },
        commit: { type: 'string' },
        tracked: { type: 'array', items: version, minItems: 1 },
        rpc: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['fact', 'value'],
            properties: { fact: { enum: ['call_pdk_method_returns'] }, value: { type: 'string', minLength: 1 }, since: version, until: version },
          },
        },
      },
    },
    functions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'params', 'returns', 'msgpack'],
        properties: {
          name: { type: 'string', pattern: '^kong(\\.[a-z_][a-z0-9_]*)*$' },
          kind: { enum: ['pdk', 'rpc_only'] },
          source: { type: 'string' },
          since: version,
          until: version,
          subsystem: { enum: ['http', 'stream'] },
          colon_method: { type: 'boolean' },
          doc_block_not_ldoc: { type: 'boolean' },
          params: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name', 'type'],
              properties: {
                name: { anyOf: [luaName, { const: '...' }] },
                type: typeExpr,
                optional: { type: 'boolean' },
                vararg: { type: 'boolean' },
                documented: { type: 'boolean' },
                since: version,
                until: version,
                doc,
              },
            },
          },
          returns: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['type'],
              properties: { type: typeExpr, error: { type: 'boolean' }, doc },
            },
          },
          returns_nothing: { type: 'boolean' },
          nil_err: { type: 'boolean' },
          code_returns_nil_err: { type: 'boolean' },
          phases: { type: 'array', items: phase },
          phase_conditions: { type: 'object', additionalProperties: { type: 'string' } },
          never_returns: { type: 'boolean' },
          param_name_mismatch: {
            type: 'array',
            items: { type: 'object', required: ['doc', 'code'], properties: { doc: luaName, code: luaName }, additionalProperties: false },
          },
          msgpack: {
            type: 'object',
            additionalProperties: false,
            properties: {
              callable: { type: 'boolean' },
              step: { type: 'string', pattern: '^plugin\\.Step[A-Za-z]*$' },
              result_fix: { enum: ['multimap', 'raw_bytes'] },
              exposed_api: { enum: ['override', 'only'] },
              log_phase_saved: { type: 'boolean' },
              effects: { type: 'array', items: { type: 'string' } },
              problems: { type: 'array', items: { type: 'string' } },
              limitations: { type: 'array', items: { type: 'string' } },
            },
          },
          protobuf: {
            type: 'object',
            additionalProperties: false,
            required: ['rpc', 'input', 'output'],
            properties: { rpc: { type: 'string' }, input: { type: 'string' }, output: { type: 'string' } },
          },
          changes: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['field', 'until'],
              properties: { field: { type: 'string', pattern: '^[a-z_]+(\\.\\S+)?$' }, since: version, until: version, value: {} },
            },
          },
        },
      },
    },
  },
} as const;

/** Schema of `idl/pdk-overrides.yaml`. */
export const overridesSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['format', 'overrides'],
  properties: {
    format: { const: 'kong-ts-pdk/pdk-overrides/1' },
    overrides: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['function', 'kind', 'why'],
        properties: {
          function: { type: 'string', pattern: '^kong(\\.[a-z_][a-z0-9_]*)*$' },
          kind: { enum: ['repair', 'refine'] },
          why: { type: 'string', minLength: 10 },
          returns: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['type'],
              properties: { type: typeExpr, error: { type: 'boolean' } },
            },
          },
          nil_err: { type: 'boolean' },
          params: {
            type: 'object',
            additionalProperties: {
              type: 'object',
              additionalProperties: false,
              properties: { type: typeExpr, optional: { type: 'boolean' }, nil_filler: { type: 'string' }, doc },
            },
          },
        },
      },
    },
  },
} as const;
