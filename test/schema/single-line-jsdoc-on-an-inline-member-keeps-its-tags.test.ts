/**
 * A JSDoc block on the same line as the `{` or `;` before a member (`{ /** @pattern ^x$ *\/ code:
 * string }`) is, for TypeScript, a trailing comment of that token: its tags still reach the schema.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deriveSchemas } from '../../src/authoring/schema-derivation.js';
import { tempDir } from '../helpers/cli.js';

function derive(source: string): ReturnType<typeof deriveSchemas> {
  const dir = tempDir('kts-jsdoc-');
  try {
    const file = path.join(dir, 'p.ts');
    fs.writeFileSync(file, source);
    return deriveSchemas(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('tags of single-line blocks on inline members: the first member and one after a semicolon', () => {
  const d = derive(
    'export interface Config {\n  inline: { /** @pattern ^x$ */ code: string; /** Retry budget, per call. @minimum 1 @default 3 */ n: number };\n}\n',
  );
  assert.deepEqual(d.kong.fields[0].config.fields, [
    {
      inline: {
        type: 'record',
        required: true,
        fields: [
          { code: { type: 'string', required: true, match: '^x$' } },
          {
            n: {
              type: 'number',
              required: true,
              default: 3,
              description: 'Retry budget, per call.',
              between: [1, Number.MAX_SAFE_INTEGER],
            },
          },
        ],
      },
    },
  ]);
  const inline = (d.jsonSchema.properties as Record<string, { properties: Record<string, { pattern?: string }> }>)
    .inline!;
  assert.equal(inline.properties.code!.pattern, '^x$');
});

test('a block that ends a line documents nothing on the next one, as in TypeScript', () => {
  const d = derive('export interface Config {\n  a: string; /** @pattern ^a$ */\n  b: string;\n}\n');
  assert.deepEqual(d.kong.fields[0].config.fields, [
    { a: { type: 'string', required: true } },
    { b: { type: 'string', required: true } },
  ]);
});
