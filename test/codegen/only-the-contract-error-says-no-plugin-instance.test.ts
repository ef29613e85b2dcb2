/**
 * Kong resets its instances on any error reply containing the contract phrase: the generated
 * texts carry it only in NoPluginInstance, and `withoutContractPhrase` rewords it out of any
 * other text whatever its case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTRACT_PHRASE, RPC_ERROR_TEXTS, RpcErrors, withoutContractPhrase } from '../../generated/index.js';

test('only NoPluginInstance carries the contract phrase, with the capital N Kong 2.3–2.4 match', () => {
  assert.equal(RpcErrors.NoPluginInstance(7), 'No plugin instance 7');
  const carriers = Object.entries(RPC_ERROR_TEXTS)
    .filter(([, e]) => e.text.toLowerCase().includes(CONTRACT_PHRASE))
    .map(([name]) => name);
  assert.deepEqual(carriers, ['NoPluginInstance']);
});

test('withoutContractPhrase rewords the phrase in any case and leaves other text alone', () => {
  const text = RpcErrors.InternalError('lookup said No Plugin Instance, then no plugin instance again');
  const reworded = withoutContractPhrase(text);
  assert.equal(reworded, 'internal error: lookup said no such plugin object, then no such plugin object again');
  assert.doesNotMatch(reworded, /no plugin instance/i);
  assert.equal(withoutContractPhrase('cannot encode reply: BigInt'), 'cannot encode reply: BigInt');
});
