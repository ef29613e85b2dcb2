'use strict';

// Benchmark plugin "bench-hog" (kong-js-pdk module format): a plugin bug that blocks its
// process. After get_header it waits config.delay milliseconds (default 0; the benchmark lines
// the spin up with its measuring window this way), then spins synchronously for config.ms
// milliseconds (default 3000) without yielding, then sets one header: every other event
// sharing its event loop waits.
class Plugin {
  constructor(config) {
    this.ms = (config && config.ms) || 3000;
    this.delay = (config && config.delay) || 0;
  }

  async access(kong) {
    const host = await kong.request.getHeader('host');
    if (this.delay) await new Promise((resolve) => setTimeout(resolve, this.delay));
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
  Schema: [{ ms: { type: 'integer' } }, { delay: { type: 'integer' } }],
};
