/** The fake Kong of the test kit: one request's state and Kong's answers to PDK calls. */
export { FakeKong } from './fake-kong.js';
export type { FakeKongOptions } from './options.js';
export { DEFAULT_CLIENT_BODY_BUFFER_SIZE } from './options.js';
export type { Answer } from './wire-answer.js';
export type { PdkState } from './state.js';
export { SIMULATED_FUNCTIONS } from './pdk/index.js';
export { kongName, returnsNilErr } from './pdk-names.js';
