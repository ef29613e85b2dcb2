// A TypeScript plugin working on the raw request body: rejects bodies over a size limit with
// 413 and tells the upstream the body's SHA-256. The body arrives as a Buffer with the exact bytes.
//
// Bodies larger than nginx's client_body_buffer_size (Kong's nginx_http_client_body_buffer_size,
// 8 KiB by default) are kept in a temporary file, which Kong hands over only on request:
// - a declared Content-Length over the limit is refused before anything is read;
// - getRawBody(max_bytes) reads such a file on Kong 3.8+ (older Kongs ignore the argument);
// - Kong 2.x rejects the call instead (a PDKError with Kong's text): the plugin says so upstream;
// - Kong 3.0 – 3.7 cannot hand the file over at all and fail the request with a Lua error:
//   there, set nginx_http_client_body_buffer_size to at least max_bytes.
import { createHash } from 'node:crypto';
import type { Kong, KongPlugin, PluginModule } from 'kong-ts-pdk';

interface BodyGuardConfig {
  max_bytes: number;
}

class BodyGuard implements KongPlugin<BodyGuardConfig> {
  constructor(readonly config: BodyGuardConfig) {}

  async access(kong: Kong): Promise<void> {
    const max = this.config.max_bytes;
    const declared = Number(await kong.request.getHeader('content-length'));
    if (declared > max) return this.tooLarge(kong, declared);
    const body = await this.readBody(kong);
    if (body === undefined) {
      await kong.service.request.setHeader('x-body-sha256', 'unavailable');
      return;
    }
    // A chunked body has no Content-Length to check first.
    if (body.length > max) return this.tooLarge(kong, body.length);
    await kong.service.request.setHeader('x-body-sha256', createHash('sha256').update(body).digest('hex'));
  }

  /** The body, or undefined when Kong 2.x kept it in a file it will not read. */
  private async readBody(kong: Kong): Promise<Buffer | undefined> {
    try {
      return await kong.request.getRawBody(this.config.max_bytes);
    } catch (e) {
      if (e instanceof Error && e.name === 'PDKError') return undefined;
      throw e;
    }
  }

  private async tooLarge(kong: Kong, size: number): Promise<void> {
    await kong.response.exit(413, { message: `body of ${size} bytes exceeds ${this.config.max_bytes}` });
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
