'use strict';

// Benchmark plugin "bench-rawbody" (kong-js-pdk module format).
// Config: {"size": <expected body length in bytes>}.
// One access event = get_raw_body (the load generator answers with a bin of
// that many bytes), then one set_header. A body of the wrong length (or not
// bytes/string at all) ends the event with kong.response.exit(500), which the
// load generator counts as an "exit", so a broken transfer shows up in results.
class Plugin {
  constructor(config) {
    this.config = config || {};
  }

  async access(kong) {
    const body = await kong.request.getRawBody();
    const want = Number(this.config.size);
    const got = body == null ? -1 : body.length;
    if (got !== want) {
      await kong.response.exit(500, `raw body length ${got}, expected ${want}`);
      return;
    }
    await kong.response.setHeader('x-bench-body-length', String(got));
  }
}

module.exports = {
  Plugin,
  Version: '0.1.0',
  Priority: 0,
  Schema: [{ size: { type: 'integer' } }],
};
