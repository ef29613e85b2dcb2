/** The parsed form of `kong.log.serialize`, which Kong sends over the plugin protocol as JSON text. */
import type { Kong, SerializedLog } from '../../generated/index.js';

/**
 * `JSON.parse(await kong.log.serialize())`, typed. Kong's plugin-server API JSON-encodes the
 * log record (a table cannot always cross MsgPack), so `kong.log.serialize()` itself resolves to
 * a string; this helper gives the decoded record.
 */
export async function serializedLog(kong: Kong): Promise<SerializedLog> {
  const text = await kong.log.serialize();
  if (typeof text !== 'string')
    throw new TypeError(
      `kong.log.serialize returned ${text === undefined ? 'nothing' : typeof text}, not JSON text (is this the log phase?)`,
    );
  return JSON.parse(text) as SerializedLog;
}
