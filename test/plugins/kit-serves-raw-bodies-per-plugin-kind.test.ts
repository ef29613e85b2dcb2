/**
 * The test kit serves raw bodies as the server does: a kong-js-pdk module gets a string under
 * `kongVersion: '2.8.0'` (Kong sends str) and a Buffer under 3.x (bin); a module with
 * `RawBodies: 'buffer'` gets a Buffer under both; what the plugin sends back through
 * setRawBody arrives at the service as the bytes it meant.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../helpers/paths.js';
import { loadPlugin } from '../../src/testing/index.js';

const BODY = Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from(' Earth')]);

for (const [kongVersion, kongJsKind] of [
  ['2.8.0', 'string'],
  ['3.4.0', 'buffer'],
] as const) {
  test(`Kong ${kongVersion}: a kong-js-pdk module gets a ${kongJsKind}, a RawBodies: 'buffer' module a Buffer, both send back exact bytes`, async () => {
    const kongJs = await loadPlugin(fixture('plugins', 'raw-bodies', 'js-transform.js'), { kongVersion });
    const r1 = await kongJs.request({ method: 'POST', body: BODY }).run(['access']);
    assert.equal(r1.response.header('x-kind'), `${kongJsKind}:${BODY.length}`);
    const edited =
      kongJsKind === 'string'
        ? Buffer.from(BODY.toString('latin1').replace('Earth', 'Mars') + '!', 'latin1')
        : Buffer.concat([BODY, Buffer.from('!')]);
    assert.deepEqual(r1.serviceRequest.body, edited);
    await kongJs.close();

    const buffers = await loadPlugin(fixture('plugins', 'raw-bodies', 'buffers.js'), { kongVersion });
    const r2 = await buffers.request({ method: 'POST', body: BODY }).run(['access']);
    assert.equal(r2.response.header('x-kind'), `buffer:${BODY.length}`);
    assert.deepEqual(r2.serviceRequest.body, Buffer.concat([BODY, Buffer.from('!')]));
    await buffers.close();
  });
}
