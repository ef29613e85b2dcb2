// The log phase: Kong runs it after the response, from a timer. kong.log.serialize() is the
// JSON *text* of Kong's log record over the plugin protocol; parse it to read fields.
'use strict';

class LogSummary {
  constructor(config) {
    this.config = config;
  }

  async log(kong) {
    const record = JSON.parse(await kong.log.serialize());
    const line = `${record.request.method} ${record.request.uri} -> ${record.response.status} in ${record.latencies.request} ms`;
    await kong.log.notice(this.config.prefix ? `${this.config.prefix} ${line}` : line);
  }
}

module.exports = {
  Plugin: LogSummary,
  Version: '1.0.0',
  Priority: 5,
  Schema: [{ prefix: { type: 'string' } }],
};
