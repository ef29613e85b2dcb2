/**
 * The response the client gets: header changes recorded before the service answers and applied
 * after, the service's answer, or the response `kong.response.exit`/`error` made.
 */
import type { MultiMap } from '../../../generated/index.js';
import { firstHeader } from '../http.js';
import type { ResponseSnapshot } from '../records.js';
import { applyHeaderOp, copyHeaders } from './headers.js';
import type { HeaderOp, ResponseState, UpstreamState } from './state.js';

/** The client's response of one request. */
export class ClientResponse {
  private produced: ResponseState | undefined;
  private readonly pendingOps: HeaderOp[] = [];

  constructor(private readonly upstream: UpstreamState) {}

  /** True once the service answered or the request was ended. */
  get isProduced(): boolean {
    return this.produced !== undefined;
  }

  /** True when the service's answer is the response. */
  get fromService(): boolean {
    return this.produced?.source === 'service';
  }

  /** The response status once produced. */
  get producedStatus(): number | undefined {
    return this.produced?.status;
  }

  /** The service answers (the response or log phase starts without an exit). */
  proxy(): void {
    if (!this.produced) this.produced = this.fromUpstream();
  }

  /** The response as it is now, or as it would be if the service answered now. */
  current(): ResponseState {
    return this.produced ?? this.fromUpstream();
  }

  /** `kong.response.set_status`: once the service has answered; before that nginx lets the service's status win. */
  setStatus(status: number): void {
    if (this.produced) this.produced.status = status;
  }

  /** A header change: recorded before the service answers, applied after. */
  changeHeader(op: HeaderOp): void {
    if (this.produced) applyHeaderOp(this.produced.headers, op);
    else this.pendingOps.push(op);
  }

  /** The request ends with Kong's own response (`kong.response.exit`/`error`; both report source `exit`). */
  end(
    status: number,
    headers: Record<string, string | string[]>,
    rawBody: Buffer,
    contentType: string | undefined,
  ): void {
    const out: MultiMap = {};
    for (const op of this.pendingOps) applyHeaderOp(out, op);
    for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = Array.isArray(v) ? [...v] : [v];
    if (contentType && !out['content-type']) out['content-type'] = [contentType];
    out['content-length'] = [String(rawBody.length)];
    this.produced = { status, headers: out, body: rawBody, source: 'exit' };
  }

  /** A copy of the response as the client gets it. */
  snapshot(): ResponseSnapshot {
    const r = this.current();
    const headers = copyHeaders(r.headers);
    return { status: r.status, headers, body: r.body, source: r.source, header: (name) => firstHeader(headers, name) };
  }

  private fromUpstream(): ResponseState {
    const headers = copyHeaders(this.upstream.headers);
    for (const op of this.pendingOps) applyHeaderOp(headers, op);
    return { status: this.upstream.status, headers, body: this.upstream.body, source: 'service' };
  }
}
