'use strict';

// Benchmark plugin "bench-hog" (kong-js-pdk module format): a plugin bug that blocks its
// process. After get_header it spins synchronously for config.ms milliseconds (default 3000)
// without yielding, then sets one header: every other event sharing its event loop waits.
class Plugin {
  constructor(config) {
    this.ms = (config && config.ms) || 3000;
  }

  async access(kong) {
    const host = await kong.request.getHeader('host');
    const until = Date.now() + this.ms;
    while (Date.now() < until) {
      // spin
    }
    await kong.response.setHeader('x-bench-hog', host);
  }
}

module.exports = {
  Plugin,
  Version: '0.1.0',
  Priority: 0,
  Schema: [{ ms: { type: 'integer' } }],
};
