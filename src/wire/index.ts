/**
 * Wire layer of the plugin server: MessagePack-RPC framing and codecs for the
 * Kong socket. Everything above this layer sees decoded JS values only.
 */

export {
  MessageDecoder,
  SLICED_MESSAGE_ENTRIES,
  type DecodeResult,
  type DecoderStats,
  type MessageDecoderOptions,
} from './decoder.js';
export {
  encodeNotification,
  encodeRequest,
  encodeResponse,
  encodeResponseGeneral,
  restoreRawBytes,
} from './encoder.js';
export {
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_MESSAGE_ENTRIES,
  FrameScanner,
  SCAN_ERROR,
  SCAN_NEED_MORE,
  type ScanError,
  type ScannerOptions,
} from './frame-scanner.js';
export { LosslessDecoder, decodeValueLossless } from './lossless-decoder.js';
export { decodeLossless, encodeLossless, hasEscapes } from './lossless-string.js';
