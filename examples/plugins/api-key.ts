// A TypeScript plugin (loaded with no build step): only requests carrying one of the configured
// API keys get through; the others end with 401 from kong.response.exit.
import type { Kong, KongPlugin, PluginModule } from 'kong-ts-pdk';

/** The plugin's configuration. */
interface ApiKeyConfig {
  /** Header that carries the key. */
  header: string;
  /** Accepted keys. */
  keys: string[];
}

class ApiKey implements KongPlugin<ApiKeyConfig> {
  constructor(readonly config: ApiKeyConfig) {}

  async access(kong: Kong): Promise<void> {
    const key = await kong.request.getHeader(this.config.header);
    if (key === undefined || !this.config.keys.includes(key)) {
      await kong.response.exit(
        401,
        { message: 'invalid or missing API key' },
        { 'www-authenticate': `ApiKey header="${this.config.header}"` },
      );
      return;
    }
    await kong.service.request.clearHeader(this.config.header);
    await kong.log.info('api key accepted');
  }
}

const plugin: PluginModule<ApiKeyConfig> = {
  Plugin: ApiKey,
  Version: '1.0.0',
  Priority: 1250,
  Schema: [
    { header: { type: 'string', default: 'x-api-key', required: true } },
    { keys: { type: 'array', elements: { type: 'string' }, required: true } },
  ],
  // Raw bodies as Buffers on every Kong version (a module without it gets kong-js-pdk's strings on 2.x).
  RawBodies: 'buffer',
};
module.exports = plugin;
