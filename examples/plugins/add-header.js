// A kong-js-pdk style plugin in plain JavaScript: adds a configured header to the response
// and tells the upstream which route matched. Runs unchanged under kong-js-pluginserver.
'use strict';

class AddHeader {
  constructor(config) {
    this.config = config;
  }

  async access(kong) {
    const route = await kong.router.getRoute();
    await kong.service.request.setHeader('x-route-name', route?.name ?? 'unnamed');
  }

  async response(kong) {
    const status = await kong.response.getStatus();
    await kong.response.setHeader(
      this.config.header || 'x-added-by',
      `${this.config.value || 'kong-ts-pdk'}; upstream=${status}`,
    );
  }
}

module.exports = {
  Plugin: AddHeader,
  Version: '1.0.0',
  Priority: 800,
  Schema: [
    { header: { type: 'string', default: 'x-added-by' } },
    { value: { type: 'string', default: 'kong-ts-pdk' } },
  ],
};
