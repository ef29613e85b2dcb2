/** The cells the worker's loop and its watchdog thread share (an Int32Array over a SharedArrayBuffer). */
export const WATCH = {
  /** Ms since the worker's start at the loop's last heartbeat. */
  BEAT: 0,
  /** Count of plugin entries. */
  SEQ: 1,
  /** The plugin, instance, event and phase of the last entry. */
  PLUGIN: 2,
  INSTANCE: 3,
  EVENT: 4,
  PHASE: 5,
  /** SEQ at the last heartbeat: entries after it happened since the loop last turned. */
  BEAT_SEQ: 6,
  /** Plugins of the last RING_SIZE entries. */
  RING: 8,
  RING_SIZE: 16,
  /** Int32 cells in all. */
  CELLS: 24,
} as const;
