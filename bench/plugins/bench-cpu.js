'use strict';

// Benchmark plugin "bench-cpu" (kong-js-pdk module format): CPU work between PDK calls, as a
// plugin checking signed tokens does. One access event = the 4 PDK calls of bench-echo with
// 6 RSA-2048 signature verifications between them (3 after get_header, 3 after the first
// set_header). The key pair and the signature are made once, when the module loads.
const crypto = require('node:crypto');

const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const message = Buffer.from('{"sub":"bench","scope":"read write","exp":4102444800}');
const signature = crypto.sign('sha256', message, privateKey);

function verify3() {
  let ok = true;
  for (let i = 0; i < 3; i++) ok = crypto.verify('sha256', message, publicKey, signature) && ok;
  return ok;
}

class Plugin {
  constructor(config) {
    this.config = config;
  }

  async access(kong) {
    const host = await kong.request.getHeader('host');
    const a = verify3();
    await kong.response.setHeader('x-bench-host', host);
    const b = verify3();
    await kong.response.setHeader('x-bench-a', a && b ? 'valid' : 'invalid');
    await kong.response.setHeader('x-bench-b', 'b');
  }
}

module.exports = {
  Plugin,
  Version: '0.1.0',
  Priority: 0,
  Schema: [],
};
