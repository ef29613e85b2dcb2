/** `kong.response.*`: the client's response, before and after the service answers, and exits. */
import { KongRaise } from '../../errors.js';
import { ERROR_MESSAGES, firstHeader } from '../../http.js';
import { cjsonEncode } from '../../lua.js';
import { exitBody, exitHeaders, headerValues, int, str, table } from '../arguments.js';
import { limitHeaders } from '../headers.js';
import { EXITED, type ImplEntry } from './impl.js';

/** The simulated `kong.response` functions. */
export const RESPONSE: readonly ImplEntry[] = [
  ['kong.response.get_status', (k) => k.currentResponse().status],
  ['kong.response.get_source', (k) => (k.currentResponse().source === 'service' ? 'service' : 'exit')],
  ['kong.response.get_header', (k, [name], m) => firstHeader(k.currentResponse().headers, str(m, 'header name', name))],
  ['kong.response.get_headers', (k, [max]) => limitHeaders(k.currentResponse().headers, max)],
  ['kong.response.set_status', (k, [status], m) => void k.setStatus(int(m, 'code', status, 100, 599))],
  [
    'kong.response.set_header',
    (k, [name, value], m) =>
      void k.changeResponseHeader({
        op: 'set',
        name: str(m, 'header name', name),
        values: headerValues(m, name, value),
      }),
  ],
  [
    'kong.response.add_header',
    (k, [name, value], m) =>
      void k.changeResponseHeader({
        op: 'add',
        name: str(m, 'header name', name),
        values: headerValues(m, name, value),
      }),
  ],
  [
    'kong.response.clear_header',
    (k, [name], m) => void k.changeResponseHeader({ op: 'clear', name: str(m, 'header name', name) }),
  ],
  [
    'kong.response.set_headers',
    (k, [headers], m) => {
      const h = table(m, 'headers', headers);
      for (const [name, value] of Object.entries(h))
        k.changeResponseHeader({ op: 'set', name, values: headerValues(m, name, value) });
      return undefined;
    },
  ],
  [
    'kong.response.exit',
    (k, [status, body, headers], m) => {
      const s = int(m, 'code', status, 100, 599);
      const h = exitHeaders(m, headers);
      const { raw, contentType } = exitBody(m, body);
      k.endRequest('exit', s, body, h, raw, contentType);
      return EXITED;
    },
  ],
  [
    'kong.response.error',
    (k, [status, message, headers], m) => {
      const s = int(m, 'code', status, 400, 599);
      if (message !== undefined && message !== null && typeof message !== 'string')
        throw new KongRaise(`${m}: message must be a nil or string`);
      const h = exitHeaders(m, headers);
      const text = (message as string | undefined) ?? ERROR_MESSAGES[s] ?? `The upstream server responded with ${s}`;
      const body = { message: text };
      k.endRequest('error', s, body, h, Buffer.from(cjsonEncode(body)), 'application/json; charset=utf-8');
      return EXITED;
    },
  ],
];
