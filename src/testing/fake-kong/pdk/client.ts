/** `kong.client.*` and `kong.router.*`: who is calling and what the request matched. */
import type { Consumer, Credential } from '../../../../generated/index.js';
import { KongRaise, NilErr } from '../../errors.js';
import { isPlainObject } from '../../lua.js';
import { str } from '../arguments.js';
import type { ImplEntry } from './impl.js';

/** The simulated `kong.client` and `kong.router` functions. */
export const CLIENT: readonly ImplEntry[] = [
  [
    'kong.client.authenticate',
    (k, [consumer, credential], m) => {
      if ((consumer === undefined || consumer === null) && (credential === undefined || credential === null))
        throw new KongRaise(`${m}: either credential or consumer must be provided`);
      if (consumer != null && !isPlainObject(consumer)) throw new KongRaise(`${m}: consumer must be a table or nil`);
      if (credential != null && !isPlainObject(credential))
        throw new KongRaise(`${m}: credential must be a table or nil`);
      k.consumer = (consumer ?? undefined) as Consumer | undefined;
      k.credential = (credential ?? undefined) as Credential | undefined;
      return undefined;
    },
  ],
  ['kong.client.get_consumer', (k) => k.consumer],
  ['kong.client.get_credential', (k) => k.credential],
  ['kong.client.get_ip', (k) => k.client.ip],
  ['kong.client.get_port', (k) => k.client.port],
  ['kong.client.get_forwarded_ip', (k) => k.forwardedHeader('x-forwarded-for')?.split(',')[0]?.trim() || k.client.ip],
  [
    'kong.client.get_forwarded_port',
    (k) => {
      const p = Number(k.forwardedHeader('x-forwarded-port'));
      return Number.isInteger(p) && p > 0 ? p : k.client.port;
    },
  ],
  [
    'kong.client.get_protocol',
    (k, [allowTerminated]) => {
      if (!k.route) return new NilErr('No active route found');
      if (k.request.scheme === 'https') return 'https';
      if (allowTerminated === true && k.forwardedHeader('x-forwarded-proto')?.toLowerCase() === 'https') return 'https';
      return 'http';
    },
  ],
  [
    'kong.client.load_consumer',
    (k, [id, byUsername], m) => {
      const want = str(m, 'consumer_id', id);
      const all = [...k.consumers, ...(k.consumer ? [k.consumer] : [])];
      return all.find((c) => c.id === want) ?? (byUsername === true ? all.find((c) => c.username === want) : undefined);
    },
  ],
  ['kong.router.get_route', (k) => k.route],
  ['kong.router.get_service', (k) => k.service],
];
