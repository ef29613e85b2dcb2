'use strict';

// Benchmark plugin "bench-echo" (kong-js-pdk module format).
// One access event = 4 PDK calls: get_header, then three set_header.
// The load generator answers get_header("host") with a host string and the
// setters with no Data; the abandon scenario uses this plugin too.
class Plugin {
  constructor(config) {
    this.config = config;
  }

  async access(kong) {
    const host = await kong.request.getHeader('host');
    await kong.response.setHeader('x-bench-host', host);
    await kong.response.setHeader('x-bench-a', 'a');
    await kong.response.setHeader('x-bench-b', 'b');
  }
}

module.exports = {
  Plugin,
  Version: '0.1.0',
  Priority: 0,
  Schema: [],
};
