// A TypeScript plugin working on the raw request body: rejects bodies over a size limit with
// 413 and tells the upstream the body's SHA-256. The body arrives as a Buffer with the exact bytes.
import { createHash } from 'node:crypto';
import type { Kong, KongPlugin, PluginModule } from 'kong-ts-pdk';

interface BodyGuardConfig {
  max_bytes: number;
}

class BodyGuard implements KongPlugin<BodyGuardConfig> {
  constructor(readonly config: BodyGuardConfig) {}

  async access(kong: Kong): Promise<void> {
    const body = await kong.request.getRawBody();
    if (body === undefined) {
      // Kong could not buffer the body (too large for memory): let the upstream decide.
      await kong.service.request.setHeader('x-body-sha256', 'unavailable');
      return;
    }
    if (body.length > this.config.max_bytes) {
      await kong.response.exit(413, { message: `body of ${body.length} bytes exceeds ${this.config.max_bytes}` });
      return;
    }
    await kong.service.request.setHeader('x-body-sha256', createHash('sha256').update(body).digest('hex'));
  }
}

const plugin: PluginModule<BodyGuardConfig> = {
  Plugin: BodyGuard,
  Version: '1.0.0',
  Priority: 900,
  Schema: [{ max_bytes: { type: 'integer', default: 1048576, between: [1, 1073741824] } }],
  // Raw bodies as Buffers on every Kong version (a module without it gets kong-js-pdk's strings on 2.x).
  RawBodies: 'buffer',
};
module.exports = plugin;
