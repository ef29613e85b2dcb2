/*
 * loadgen.c - load generator for Kong external plugin servers (MsgPack-RPC).
 *
 * It plays the part of Kong: it keeps a pool of unix-socket connections to a
 * plugin server, runs plugin events (HandleEvent -> Step ... -> "ret") over
 * them, and reports throughput, latency percentiles and its own CPU time as
 * one JSON line on stdout.
 *
 * Kong-like behaviour that is modelled on purpose:
 *   - one request at a time per connection, never pipelined;
 *   - the calls of one event hop between pooled connections (the next call of
 *     an event goes out on a free connection, preferring one other than the
 *     connection its previous call used);
 *   - strings are written as fixstr/str16/str32 (never str8), raw bodies as
 *     bin;
 *   - notifications [2, ...] from the server are skipped (serverPid is kept).
 *
 * Single thread, nonblocking sockets, epoll.
 *
 * Usage:
 *   loadgen start --socket PATH --plugin NAME [--config JSON]
 *       starts one plugin instance, prints {"ok":true,"id":N}
 *   loadgen run --socket PATH --instance ID[,ID...] [options]
 *       --conns N          connections in the pool (default 1)
 *       --concurrency N    events in flight (default = conns)
 *       --duration S       measure for S seconds (default 5) ...
 *       --warmup S         ... after S seconds of unmeasured load (default 0)
 *       --events N         or: run exactly N events (all measured)
 *       --scenario NAME    echo | rawbody | abandon (default echo)
 *       --body-bytes N     rawbody: size of the bin body (default 1 MiB)
 *       --abandon-pct P    abandon: percentage of events abandoned (default 10)
 *       --host STR         value answered for get_header (default bench.example.com)
 *       --timeout S        hard limit for the whole run (default 600)
 *       --slow-ms MS       also count the measured events slower than MS (JSON "slow")
 *
 * The scenario only changes what the load generator does; the answers to PDK
 * calls are chosen from the method name the server sends:
 *   kong.request.get_header    -> the host string
 *   kong.request.get_raw_body  -> bin of --body-bytes bytes
 *   kong.response.exit / error -> the event ends, nothing more is sent
 *   anything else              -> Step with no Data key (nil)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ util */

static void die(const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  /* keep stdout machine readable: always one JSON object */
  printf("{\"ok\":false,\"fatal\":\"");
  for (const char *c = msg; *c; c++) {
    if (*c == '"' || *c == '\\') putchar('\\');
    if ((unsigned char)*c < 0x20) { putchar(' '); continue; }
    putchar(*c);
  }
  printf("\"}\n");
  fflush(stdout);
  fprintf(stderr, "loadgen: %s\n", msg);
  exit(2);
}

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) die("out of memory (%zu bytes)", n);
  return q;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double cpu_seconds(double *user, double *sys) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  *user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
  *sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  return *user + *sys;
}

/* --------------------------------------------------- msgpack: the writer */

typedef struct {
  uint8_t *p;
  size_t len, cap;
} wbuf_t;

static void wb_need(wbuf_t *b, size_t extra) {
  if (b->len + extra <= b->cap) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra) cap *= 2;
  b->p = xrealloc(b->p, cap);
  b->cap = cap;
}

static void wb_u8(wbuf_t *b, uint8_t v) {
  wb_need(b, 1);
  b->p[b->len++] = v;
}

static void wb_be(wbuf_t *b, uint64_t v, int bytes) {
  wb_need(b, (size_t)bytes);
  for (int i = bytes - 1; i >= 0; i--) b->p[b->len++] = (uint8_t)(v >> (8 * i));
}

static void wb_raw(wbuf_t *b, const void *src, size_t n) {
  wb_need(b, n);
  memcpy(b->p + b->len, src, n);
  b->len += n;
}


static void mpw_array(wbuf_t *b, uint32_t n) {
  if (n < 16) wb_u8(b, (uint8_t)(0x90 | n));
  else if (n < 65536) { wb_u8(b, 0xdc); wb_be(b, n, 2); }
  else { wb_u8(b, 0xdd); wb_be(b, n, 4); }
}

static void mpw_map(wbuf_t *b, uint32_t n) {
  if (n < 16) wb_u8(b, (uint8_t)(0x80 | n));
  else if (n < 65536) { wb_u8(b, 0xde); wb_be(b, n, 2); }
  else { wb_u8(b, 0xdf); wb_be(b, n, 4); }
}

static void mpw_uint(wbuf_t *b, uint64_t v) {
  if (v < 128) wb_u8(b, (uint8_t)v);
  else if (v < 256) { wb_u8(b, 0xcc); wb_be(b, v, 1); }
  else if (v < 65536) { wb_u8(b, 0xcd); wb_be(b, v, 2); }
  else if (v <= 0xffffffffull) { wb_u8(b, 0xce); wb_be(b, v, 4); }
  else { wb_u8(b, 0xcf); wb_be(b, v, 8); }
}

static void mpw_int(wbuf_t *b, int64_t v) {
  if (v >= 0) { mpw_uint(b, (uint64_t)v); return; }
  if (v >= -32) wb_u8(b, (uint8_t)(int8_t)v);
  else if (v >= INT8_MIN) { wb_u8(b, 0xd0); wb_be(b, (uint64_t)v, 1); }
  else if (v >= INT16_MIN) { wb_u8(b, 0xd1); wb_be(b, (uint64_t)v, 2); }
  else if (v >= INT32_MIN) { wb_u8(b, 0xd2); wb_be(b, (uint64_t)v, 4); }
  else { wb_u8(b, 0xd3); wb_be(b, (uint64_t)v, 8); }
}

/* Strings as Kong writes them: fixstr, str16, str32 -- never str8 (0xd9). */
static void mpw_str(wbuf_t *b, const char *s, size_t n) {
  if (n < 32) wb_u8(b, (uint8_t)(0xa0 | n));
  else if (n < 65536) { wb_u8(b, 0xda); wb_be(b, n, 2); }
  else { wb_u8(b, 0xdb); wb_be(b, n, 4); }
  wb_raw(b, s, n);
}

static void mpw_cstr(wbuf_t *b, const char *s) { mpw_str(b, s, strlen(s)); }

static void mpw_bin_header(wbuf_t *b, size_t n) {
  if (n < 256) { wb_u8(b, 0xc4); wb_be(b, n, 1); }
  else if (n < 65536) { wb_u8(b, 0xc5); wb_be(b, n, 2); }
  else { wb_u8(b, 0xc6); wb_be(b, n, 4); }
}

/* --------------------------------------------------- msgpack: the reader */

/*
 * Size in bytes of the complete value at p[0..n), 0 when more bytes are
 * needed, -1 on a byte that is not MessagePack. No recursion: counts the
 * values still owed by enclosing arrays/maps.
 */
static long mp_value_size(const uint8_t *p, size_t n) {
  size_t pos = 0;
  uint64_t owed = 1;
  while (owed) {
    if (pos >= n) return 0;
    uint8_t t = p[pos++];
    owed--;
    if (t <= 0x7f || t >= 0xe0) continue;               /* fixint */
    if ((t & 0xf0) == 0x80) { owed += 2u * (t & 0x0f); continue; } /* fixmap */
    if ((t & 0xf0) == 0x90) { owed += t & 0x0f; continue; }        /* fixarray */
    if ((t & 0xe0) == 0xa0) { pos += t & 0x1f; continue; }         /* fixstr */
    int lenbytes = 0;    /* size of a length field that follows */
    size_t fixed = 0;    /* payload bytes with no length field */
    int kind = 0;        /* 0: scalar, 1: bytes, 2: array, 3: map, 4: ext */
    switch (t) {
      case 0xc0: case 0xc2: case 0xc3: continue;
      case 0xc4: case 0xd9: lenbytes = 1; kind = 1; break;
      case 0xc5: case 0xda: lenbytes = 2; kind = 1; break;
      case 0xc6: case 0xdb: lenbytes = 4; kind = 1; break;
      case 0xc7: lenbytes = 1; kind = 4; break;
      case 0xc8: lenbytes = 2; kind = 4; break;
      case 0xc9: lenbytes = 4; kind = 4; break;
      case 0xca: fixed = 4; break;
      case 0xcb: fixed = 8; break;
      case 0xcc: case 0xd0: fixed = 1; break;
      case 0xcd: case 0xd1: fixed = 2; break;
      case 0xce: case 0xd2: fixed = 4; break;
      case 0xcf: case 0xd3: fixed = 8; break;
      case 0xd4: fixed = 2; break;
      case 0xd5: fixed = 3; break;
      case 0xd6: fixed = 5; break;
      case 0xd7: fixed = 9; break;
      case 0xd8: fixed = 17; break;
      case 0xdc: lenbytes = 2; kind = 2; break;
      case 0xdd: lenbytes = 4; kind = 2; break;
      case 0xde: lenbytes = 2; kind = 3; break;
      case 0xdf: lenbytes = 4; kind = 3; break;
      default: return -1; /* 0xc1 */
    }
    if (kind == 0) { pos += fixed; continue; }
    if (pos + (size_t)lenbytes > n) return 0;
    uint64_t len = 0;
    for (int i = 0; i < lenbytes; i++) len = (len << 8) | p[pos++];
    switch (kind) {
      case 1: pos += len; break;
      case 4: pos += 1 + len; break;
      case 2: owed += len; break;
      case 3: owed += 2 * len; break;
    }
  }
  return pos <= n ? (long)pos : 0;
}

typedef struct {
  const uint8_t *p, *end;
  int bad;
} rd_t;

static int rd_avail(rd_t *r, size_t n) {
  if (r->bad || (size_t)(r->end - r->p) < n) { r->bad = 1; return 0; }
  return 1;
}

static uint64_t rd_be(rd_t *r, int bytes) {
  if (!rd_avail(r, (size_t)bytes)) return 0;
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++) v = (v << 8) | *r->p++;
  return v;
}

static int rd_peek(rd_t *r) {
  if (!rd_avail(r, 1)) return -1;
  return *r->p;
}

static void mpr_skip(rd_t *r) {
  if (r->bad) return;
  long n = mp_value_size(r->p, (size_t)(r->end - r->p));
  if (n <= 0) { r->bad = 1; return; }
  r->p += n;
}

static int mpr_nil(rd_t *r) { /* consumes a nil if one is next */
  if (rd_peek(r) == 0xc0) { r->p++; return 1; }
  return 0;
}

static int64_t mpr_int(rd_t *r) {
  int t = rd_peek(r);
  if (t < 0) return 0;
  r->p++;
  if (t <= 0x7f) return t;
  if (t >= 0xe0) return (int8_t)t;
  switch (t) {
    case 0xcc: return (int64_t)rd_be(r, 1);
    case 0xcd: return (int64_t)rd_be(r, 2);
    case 0xce: return (int64_t)rd_be(r, 4);
    case 0xcf: return (int64_t)rd_be(r, 8);
    case 0xd0: return (int8_t)rd_be(r, 1);
    case 0xd1: return (int16_t)rd_be(r, 2);
    case 0xd2: return (int32_t)rd_be(r, 4);
    case 0xd3: return (int64_t)rd_be(r, 8);
    case 0xca: { uint32_t u = (uint32_t)rd_be(r, 4); float f; memcpy(&f, &u, 4); return (int64_t)f; }
    case 0xcb: { uint64_t u = rd_be(r, 8); double d; memcpy(&d, &u, 8); return (int64_t)d; }
  }
  r->bad = 1;
  return 0;
}

/* str (any width) or bin; returns 0 when the next value is something else */
static int mpr_str(rd_t *r, const char **s, uint32_t *n) {
  int t = rd_peek(r);
  if (t < 0) return 0;
  uint64_t len;
  if ((t & 0xe0) == 0xa0) { r->p++; len = (uint64_t)(t & 0x1f); }
  else if (t == 0xd9 || t == 0xc4) { r->p++; len = rd_be(r, 1); }
  else if (t == 0xda || t == 0xc5) { r->p++; len = rd_be(r, 2); }
  else if (t == 0xdb || t == 0xc6) { r->p++; len = rd_be(r, 4); }
  else return 0;
  if (!rd_avail(r, len)) return 0;
  *s = (const char *)r->p;
  *n = (uint32_t)len;
  r->p += len;
  return 1;
}

static int mpr_container(rd_t *r, int is_map, uint32_t *n) {
  int t = rd_peek(r);
  if (t < 0) return 0;
  uint8_t fixtag = is_map ? 0x80 : 0x90;
  uint8_t t16 = is_map ? 0xde : 0xdc, t32 = is_map ? 0xdf : 0xdd;
  if ((t & 0xf0) == fixtag) { r->p++; *n = (uint32_t)(t & 0x0f); return 1; }
  if (t == t16) { r->p++; *n = (uint32_t)rd_be(r, 2); return !r->bad; }
  if (t == t32) { r->p++; *n = (uint32_t)rd_be(r, 4); return !r->bad; }
  return 0;
}

static int str_is(const char *s, uint32_t n, const char *lit) {
  return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* ------------------------------------------------ decoded server message */

enum { DATA_NONE = 0, DATA_RET, DATA_CALL, DATA_OTHER };

typedef struct {
  int type;               /* 1 response, 2 notification */
  uint32_t msgid;
  int has_err;
  const char *err;
  uint32_t errlen;
  int has_eid;
  int64_t eid;
  int has_id;
  int64_t id;             /* StartInstance result Id */
  int data;               /* DATA_* */
  const char *method;
  uint32_t mlen;
  int64_t pid;            /* notification serverPid */
} msg_t;

static void parse_data(rd_t *r, msg_t *m) {
  const char *s;
  uint32_t n, cnt;
  if (mpr_str(r, &s, &n)) { m->data = str_is(s, n, "ret") ? DATA_RET : DATA_OTHER; return; }
  if (mpr_container(r, 1, &cnt)) {
    m->data = DATA_OTHER;
    for (uint32_t i = 0; i < cnt && !r->bad; i++) {
      if (mpr_str(r, &s, &n) && str_is(s, n, "Method")) {
        if (mpr_str(r, &m->method, &m->mlen)) m->data = DATA_CALL;
        else mpr_skip(r);
      } else {
        mpr_skip(r);
      }
    }
    return;
  }
  if (mpr_nil(r)) { m->data = DATA_NONE; return; }
  m->data = DATA_OTHER;
  mpr_skip(r);
}

/* p[0..n) holds exactly one complete value */
static int parse_msg(const uint8_t *p, size_t n, msg_t *m) {
  rd_t r = {p, p + n, 0};
  uint32_t len, cnt;
  memset(m, 0, sizeof *m);
  if (!mpr_container(&r, 0, &len) || len < 3) return 0;
  m->type = (int)mpr_int(&r);
  if (m->type == 2) { /* [2, method, params] */
    const char *s;
    uint32_t sl;
    if (mpr_str(&r, &s, &sl) && str_is(s, sl, "serverPid")) {
      int t = rd_peek(&r);
      if (t >= 0 && (t <= 0x7f || (t >= 0xcc && t <= 0xd3))) m->pid = mpr_int(&r);
      else if (mpr_container(&r, 0, &cnt) && cnt >= 1) m->pid = mpr_int(&r);
    }
    return !r.bad;
  }
  if (m->type != 1 || len != 4) return 0;
  m->msgid = (uint32_t)mpr_int(&r);
  if (!mpr_nil(&r)) {
    m->has_err = 1;
    if (!mpr_str(&r, &m->err, &m->errlen)) { m->err = "(non-string error)"; m->errlen = 18; mpr_skip(&r); }
  }
  if (mpr_container(&r, 1, &cnt)) {
    for (uint32_t i = 0; i < cnt && !r.bad; i++) {
      const char *k;
      uint32_t kl;
      if (!mpr_str(&r, &k, &kl)) { mpr_skip(&r); mpr_skip(&r); continue; }
      if (str_is(k, kl, "EventId")) { m->has_eid = 1; m->eid = mpr_int(&r); }
      else if (str_is(k, kl, "Id")) { m->has_id = 1; m->id = mpr_int(&r); }
      else if (str_is(k, kl, "Data")) parse_data(&r, m);
      else mpr_skip(&r);
    }
  } else {
    mpr_skip(&r);
  }
  return !r.bad;
}

/* ------------------------------------------------------------ connection */

static int connect_unix(const char *path, int nonblock) {
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof sa.sun_path) die("socket path too long: %s", path);
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket: %s", strerror(errno));
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("connect %s: %s", path, strerror(errno));
  if (nonblock) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

typedef struct {
  int fd;
  int busy;               /* a request is outstanding */
  int slot;               /* slot whose request is outstanding */
  uint32_t msgid;
  uint8_t *rbuf;
  size_t rlen, rcap;
  wbuf_t out;             /* message head (whole message when small) */
  size_t out_off;
  const uint8_t *body;    /* optional tail written after out (raw body) */
  size_t body_len, body_off;
  int want_out;
} conn_t;

/* ------------------------------------------------------------ the runner */

enum { SC_ECHO, SC_RAWBODY, SC_ABANDON };
enum { REQ_HANDLE, REQ_STEP };
enum { STEP_NIL, STEP_HOST, STEP_BODY };

typedef struct {
  int active;             /* an event is running in this slot */
  int measured;
  int req;                /* REQ_* of the pending request */
  int step_kind;          /* STEP_* */
  int64_t eid;
  int64_t iid;
  int last_conn;
  int calls;
  int abandon;
  uint64_t t0;
} slot_t;

typedef struct {
  /* config */
  const char *sock;
  int nconns, nslots, scenario;
  double duration, warmup, timeout;
  long long max_events;   /* >0: events mode */
  size_t body_bytes;
  double abandon_pct;
  double slow_ms;
  const char *host;
  int64_t *iids;
  int niids;
  /* state */
  conn_t *conns;
  slot_t *slots;
  int *idle; int idle_head, idle_n;    /* ring of idle connections */
  int *ready; int ready_head, ready_n; /* ring of slots waiting for a connection */
  int epfd;
  uint8_t *body;
  uint32_t next_msgid;
  long long started, started_measured, abandon_seq;
  int measuring, stopping;
  uint64_t t_start, t_measure, t_stop, t_last_done;
  double cpu0, cpu0_user, cpu0_sys;
  /* results (measured events only) */
  long long done, abandoned, exits, errors, rpcs, calls, steps, hops;
  uint64_t *lat; size_t nlat, caplat;
  char first_error[256];
  int64_t server_pid;
  int active_slots;
} lg_t;

static void ring_push(int *ring, int cap, int *head, int *n, int v) {
  ring[(*head + *n) % cap] = v;
  (*n)++;
}

static int ring_pop(int *ring, int cap, int *head, int *n) {
  int v = ring[*head];
  *head = (*head + 1) % cap;
  (*n)--;
  return v;
}

static void set_want_out(lg_t *g, int ci, int want) {
  conn_t *c = &g->conns[ci];
  if (c->want_out == want) return;
  struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.u32 = (uint32_t)ci};
  if (epoll_ctl(g->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
  c->want_out = want;
}

static void conn_flush(lg_t *g, int ci) {
  conn_t *c = &g->conns[ci];
  for (;;) {
    struct iovec iov[2];
    int n = 0;
    if (c->out_off < c->out.len) { iov[n].iov_base = c->out.p + c->out_off; iov[n].iov_len = c->out.len - c->out_off; n++; }
    if (c->body_off < c->body_len) { iov[n].iov_base = (void *)(c->body + c->body_off); iov[n].iov_len = c->body_len - c->body_off; n++; }
    if (n == 0) { set_want_out(g, ci, 0); return; }
    ssize_t w = writev(c->fd, iov, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) { set_want_out(g, ci, 1); return; }
      die("write on connection %d: %s (did the server crash?)", ci, strerror(errno));
    }
    size_t left = (size_t)w, head = c->out.len - c->out_off;
    if (left <= head) { c->out_off += left; left = 0; }
    else { c->out_off = c->out.len; left -= head; }
    c->body_off += left;
  }
}

/* write the pending request of slot si on connection ci */
static void send_request(lg_t *g, int si, int ci) {
  slot_t *s = &g->slots[si];
  conn_t *c = &g->conns[ci];
  c->busy = 1;
  c->slot = si;
  c->msgid = g->next_msgid++;
  c->out.len = 0;
  c->out_off = 0;
  c->body = NULL;
  c->body_len = c->body_off = 0;
  wbuf_t *b = &c->out;
  mpw_array(b, 4);
  mpw_uint(b, 0);
  mpw_uint(b, c->msgid);
  if (s->req == REQ_HANDLE) {
    mpw_cstr(b, "plugin.HandleEvent");
    mpw_array(b, 1);
    mpw_map(b, 2);
    mpw_cstr(b, "InstanceId");
    mpw_int(b, s->iid);
    mpw_cstr(b, "EventName");
    mpw_cstr(b, "access");
    s->t0 = now_ns();
  } else {
    mpw_cstr(b, "plugin.Step");
    mpw_array(b, 1);
    mpw_map(b, s->step_kind == STEP_NIL ? 1 : 2);
    mpw_cstr(b, "EventId");
    mpw_int(b, s->eid);
    if (s->step_kind == STEP_HOST) {
      mpw_cstr(b, "Data");
      mpw_cstr(b, g->host);
    } else if (s->step_kind == STEP_BODY) {
      mpw_cstr(b, "Data");
      mpw_bin_header(b, g->body_bytes);
      c->body = g->body;
      c->body_len = g->body_bytes;
    }
    if (s->measured) {
      g->steps++;
      if (s->last_conn != ci) g->hops++;
    }
  }
  s->last_conn = ci;
  conn_flush(g, ci);
}

/* start the next event in slot si, or retire the slot */
static void slot_next_event(lg_t *g, int si) {
  slot_t *s = &g->slots[si];
  int stop = g->stopping || (g->max_events > 0 && g->started >= g->max_events);
  if (stop) {
    if (s->active) { s->active = 0; g->active_slots--; }
    return;
  }
  if (!s->active) { s->active = 1; g->active_slots++; }
  s->measured = g->measuring;
  s->req = REQ_HANDLE;
  s->calls = 0;
  s->abandon = 0;
  if (g->scenario == SC_ABANDON) {
    /* spread the abandoned events evenly: exactly pct % of every 100 */
    long long k = g->abandon_seq++;
    long long a = (long long)((k + 1) * g->abandon_pct / 100.0) - (long long)(k * g->abandon_pct / 100.0);
    s->abandon = a > 0;
  }
  s->iid = g->iids[g->started % g->niids];
  g->started++;
  if (s->measured) g->started_measured++;
  ring_push(g->ready, g->nslots, &g->ready_head, &g->ready_n, si);
}

static void event_finished(lg_t *g, int si, int how) {
  slot_t *s = &g->slots[si];
  if (s->measured) {
    uint64_t t = now_ns();
    if (how == 0 || how == 1) { /* ret or exit: a completed event */
      g->done++;
      if (how == 1) g->exits++;
      g->calls += s->calls;
      if (g->nlat == g->caplat) {
        g->caplat = g->caplat ? g->caplat * 2 : 65536;
        g->lat = xrealloc(g->lat, g->caplat * sizeof *g->lat);
      }
      g->lat[g->nlat++] = t - s->t0;
    } else if (how == 2) {
      g->abandoned++;
    } else {
      g->errors++;
    }
    g->t_last_done = t;
  }
  slot_next_event(g, si);
}

static void on_message(lg_t *g, int ci, const uint8_t *p, size_t n) {
  conn_t *c = &g->conns[ci];
  msg_t m;
  if (!parse_msg(p, n, &m)) die("connection %d: cannot parse a server message of %zu bytes", ci, n);
  if (m.type == 2) { if (m.pid) g->server_pid = m.pid; return; }
  if (!c->busy) die("connection %d: response without a request (msgid %u)", ci, m.msgid);
  if (m.msgid != c->msgid) die("connection %d: response msgid %u, expected %u", ci, m.msgid, c->msgid);
  int si = c->slot;
  slot_t *s = &g->slots[si];
  c->busy = 0;
  ring_push(g->idle, g->nconns, &g->idle_head, &g->idle_n, ci);
  if (s->measured) g->rpcs++;

  if (m.has_err) {
    if (!g->first_error[0])
      snprintf(g->first_error, sizeof g->first_error, "%.*s", (int)(m.errlen > 200 ? 200 : m.errlen), m.err);
    event_finished(g, si, 3);
    return;
  }
  if (!m.has_eid) die("connection %d: result without EventId", ci);
  s->eid = m.eid;
  if (m.data == DATA_RET) { event_finished(g, si, 0); return; }
  if (m.data != DATA_CALL) {
    if (!g->first_error[0]) snprintf(g->first_error, sizeof g->first_error, "unexpected Data (neither \"ret\" nor a call)");
    event_finished(g, si, 3);
    return;
  }
  s->calls++;
  if (s->abandon) { event_finished(g, si, 2); return; }
  if (str_is(m.method, m.mlen, "kong.response.exit") || str_is(m.method, m.mlen, "kong.response.error")) {
    event_finished(g, si, 1);
    return;
  }
  s->req = REQ_STEP;
  if (str_is(m.method, m.mlen, "kong.request.get_header")) s->step_kind = STEP_HOST;
  else if (str_is(m.method, m.mlen, "kong.request.get_raw_body")) s->step_kind = STEP_BODY;
  else s->step_kind = STEP_NIL;
  ring_push(g->ready, g->nslots, &g->ready_head, &g->ready_n, si);
}

static void conn_read(lg_t *g, int ci) {
  conn_t *c = &g->conns[ci];
  for (;;) {
    if (c->rcap - c->rlen < 65536) {
      c->rcap = c->rcap ? c->rcap * 2 : 131072;
      c->rbuf = xrealloc(c->rbuf, c->rcap);
    }
    ssize_t r = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      die("read on connection %d: %s (did the server crash?)", ci, strerror(errno));
    }
    if (r == 0) die("connection %d closed by the server (did the server crash?)", ci);
    size_t room = c->rcap - c->rlen;
    c->rlen += (size_t)r;
    if ((size_t)r < room) break; /* short read: the socket is drained */
  }
  /* handle every complete message; keep a partial one for the next read */
  size_t off = 0;
  while (off < c->rlen) {
    long n = mp_value_size(c->rbuf + off, c->rlen - off);
    if (n < 0) die("connection %d: invalid MessagePack from the server", ci);
    if (n == 0) break;
    on_message(g, ci, c->rbuf + off, (size_t)n);
    off += (size_t)n;
  }
  if (off) {
    memmove(c->rbuf, c->rbuf + off, c->rlen - off);
    c->rlen -= off;
  }
}

/* hand ready slots to idle connections, preferring a connection other than
 * the one the event used last, so that an event's calls hop like in Kong */
static void dispatch(lg_t *g) {
  while (g->ready_n && g->idle_n) {
    int si = ring_pop(g->ready, g->nslots, &g->ready_head, &g->ready_n);
    slot_t *s = &g->slots[si];
    if (g->idle_n > 1 && g->idle[g->idle_head] == s->last_conn) {
      int second = (g->idle_head + 1) % g->nconns;
      int tmp = g->idle[second];
      g->idle[second] = g->idle[g->idle_head];
      g->idle[g->idle_head] = tmp;
    }
    int ci = ring_pop(g->idle, g->nconns, &g->idle_head, &g->idle_n);
    send_request(g, si, ci);
  }
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static double pct_us(const uint64_t *v, size_t n, double p) {
  if (!n) return 0;
  size_t idx = (size_t)(p * (double)n + 0.999999);
  if (idx < 1) idx = 1;
  if (idx > n) idx = n;
  return (double)v[idx - 1] / 1000.0;
}

static void start_measuring(lg_t *g, uint64_t t) {
  g->measuring = 1;
  g->t_measure = t;
  g->cpu0 = cpu_seconds(&g->cpu0_user, &g->cpu0_sys);
}

static int run(lg_t *g) {
  signal(SIGPIPE, SIG_IGN);
  g->conns = calloc((size_t)g->nconns, sizeof *g->conns);
  g->slots = calloc((size_t)g->nslots, sizeof *g->slots);
  g->idle = calloc((size_t)g->nconns, sizeof(int));
  g->ready = calloc((size_t)g->nslots, sizeof(int));
  if (!g->conns || !g->slots || !g->idle || !g->ready) die("out of memory");
  if (g->scenario == SC_RAWBODY) {
    g->body = malloc(g->body_bytes ? g->body_bytes : 1);
    if (!g->body) die("out of memory for the body");
    for (size_t i = 0; i < g->body_bytes; i++) g->body[i] = (uint8_t)('a' + i % 26);
  }
  g->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (g->epfd < 0) die("epoll_create1: %s", strerror(errno));
  for (int i = 0; i < g->nconns; i++) {
    conn_t *c = &g->conns[i];
    c->fd = connect_unix(g->sock, 1);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
    ring_push(g->idle, g->nconns, &g->idle_head, &g->idle_n, i);
  }
  for (int i = 0; i < g->nslots; i++) g->slots[i].last_conn = -1;

  g->t_start = now_ns();
  uint64_t t_hard = g->t_start + (uint64_t)(g->timeout * 1e9);
  if (g->max_events > 0) {
    start_measuring(g, g->t_start);
  } else {
    g->t_measure = g->t_start + (uint64_t)(g->warmup * 1e9);
    g->t_stop = g->t_measure + (uint64_t)(g->duration * 1e9);
    if (g->warmup <= 0) start_measuring(g, g->t_start);
  }
  for (int i = 0; i < g->nslots; i++) slot_next_event(g, i);
  dispatch(g);

  struct epoll_event evs[256];
  int timed_out = 0;
  while (g->active_slots > 0) {
    uint64_t t = now_ns();
    if (t >= t_hard) { timed_out = 1; break; }
    if (g->max_events <= 0) {
      if (!g->measuring && t >= g->t_measure) start_measuring(g, t);
      if (!g->stopping && t >= g->t_stop) g->stopping = 1;
    }
    int wait_ms = 50;
    if (g->max_events <= 0 && !g->stopping) {
      uint64_t next = g->measuring ? g->t_stop : g->t_measure;
      uint64_t ms = next > t ? (next - t) / 1000000 + 1 : 0;
      if (ms < (uint64_t)wait_ms) wait_ms = (int)ms;
    }
    int n = epoll_wait(g->epfd, evs, 256, wait_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait: %s", strerror(errno));
    }
    for (int i = 0; i < n; i++) {
      int ci = (int)evs[i].data.u32;
      if (evs[i].events & EPOLLOUT) conn_flush(g, ci);
      if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) conn_read(g, ci);
    }
    dispatch(g);
  }

  uint64_t t_end = now_ns();
  double cu, cs;
  double cpu = cpu_seconds(&cu, &cs) - g->cpu0;
  cu -= g->cpu0_user;
  cs -= g->cpu0_sys;
  uint64_t t_last = g->t_last_done > g->t_stop ? g->t_last_done : g->t_stop;
  if (g->max_events > 0 || timed_out) t_last = t_end;
  double wall = (double)(t_last - g->t_measure) / 1e9;
  if (wall <= 0) wall = 1e-9;
  double cpu_wall = (double)(t_end - g->t_measure) / 1e9;

  qsort(g->lat, g->nlat, sizeof *g->lat, cmp_u64);
  long long slow = 0;
  if (g->slow_ms > 0)
    for (size_t i = 0; i < g->nlat; i++)
      if ((double)g->lat[i] > g->slow_ms * 1e6) slow++;
  double sum = 0;
  for (size_t i = 0; i < g->nlat; i++) sum += (double)g->lat[i];
  const char *sc = g->scenario == SC_ECHO ? "echo" : g->scenario == SC_RAWBODY ? "rawbody" : "abandon";

  printf("{\"ok\":%s,\"scenario\":\"%s\",\"conns\":%d,\"concurrency\":%d,\"mode\":\"%s\",",
         timed_out ? "false" : "true", sc, g->nconns, g->nslots, g->max_events > 0 ? "events" : "duration");
  printf("\"wall_s\":%.6f,\"events\":%lld,\"abandoned\":%lld,\"exits\":%lld,\"errors\":%lld,\"rpcs\":%lld,",
         wall, g->done, g->abandoned, g->exits, g->errors, g->rpcs);
  printf("\"events_per_s\":%.2f,\"rpcs_per_s\":%.2f,", (double)g->done / wall, (double)g->rpcs / wall);
  printf("\"p50_us\":%.2f,\"p90_us\":%.2f,\"p99_us\":%.2f,\"max_us\":%.2f,\"mean_us\":%.2f,",
         pct_us(g->lat, g->nlat, 0.50), pct_us(g->lat, g->nlat, 0.90), pct_us(g->lat, g->nlat, 0.99),
         g->nlat ? (double)g->lat[g->nlat - 1] / 1000.0 : 0.0, g->nlat ? sum / (double)g->nlat / 1000.0 : 0.0);
  printf("\"slow\":%lld,\"slow_ms\":%.1f,", slow, g->slow_ms);
  printf("\"pdk_calls_per_event\":%.3f,\"hop_ratio\":%.4f,",
         g->done ? (double)g->calls / (double)g->done : 0.0, g->steps ? (double)g->hops / (double)g->steps : 0.0);
  double tu, ts;
  double cpu_total = cpu_seconds(&tu, &ts);
  printf("\"cpu_user_s\":%.4f,\"cpu_sys_s\":%.4f,\"cpu_share\":%.4f,\"cpu_total_s\":%.4f,", cu, cs,
         cpu / (cpu_wall > 0 ? cpu_wall : 1e-9), cpu_total);
  printf("\"body_bytes\":%zu,\"server_pid\":%lld,\"timed_out\":%s,\"first_error\":",
         g->scenario == SC_RAWBODY ? g->body_bytes : (size_t)0, (long long)g->server_pid, timed_out ? "true" : "false");
  if (g->first_error[0]) {
    putchar('"');
    for (const char *c = g->first_error; *c; c++) {
      if (*c == '"' || *c == '\\') putchar('\\');
      if ((unsigned char)*c < 0x20) { putchar(' '); continue; }
      putchar(*c);
    }
    putchar('"');
  } else {
    printf("null");
  }
  printf("}\n");
  fflush(stdout);
  return timed_out ? 3 : 0;
}

/* --------------------------------------------------------- start command */

static int start_instance(const char *sock, const char *plugin, const char *config) {
  int fd = connect_unix(sock, 0);
  wbuf_t b = {0};
  mpw_array(&b, 4);
  mpw_uint(&b, 0);
  mpw_uint(&b, 1);
  mpw_cstr(&b, "plugin.StartInstance");
  mpw_array(&b, 1);
  mpw_map(&b, 2);
  mpw_cstr(&b, "Name");
  mpw_cstr(&b, plugin);
  mpw_cstr(&b, "Config");
  mpw_cstr(&b, config);
  size_t off = 0;
  while (off < b.len) {
    ssize_t w = write(fd, b.p + off, b.len - off);
    if (w < 0) { if (errno == EINTR) continue; die("write: %s", strerror(errno)); }
    off += (size_t)w;
  }
  uint8_t *buf = NULL;
  size_t len = 0, cap = 0;
  int64_t pid = 0;
  for (;;) {
    if (cap - len < 4096) { cap = cap ? cap * 2 : 8192; buf = xrealloc(buf, cap); }
    ssize_t r = read(fd, buf + len, cap - len);
    if (r < 0) { if (errno == EINTR) continue; die("read: %s", strerror(errno)); }
    if (r == 0) die("server closed the connection during StartInstance");
    len += (size_t)r;
    for (;;) {
      long n = mp_value_size(buf, len);
      if (n < 0) die("invalid MessagePack from the server");
      if (n == 0) break;
      msg_t m;
      if (!parse_msg(buf, (size_t)n, &m)) die("cannot parse the StartInstance response");
      if (m.type == 2) {
        if (m.pid) pid = m.pid;
        memmove(buf, buf + n, len - (size_t)n);
        len -= (size_t)n;
        continue;
      }
      if (m.has_err) die("StartInstance failed: %.*s", (int)m.errlen, m.err);
      if (!m.has_id) die("StartInstance result has no Id");
      printf("{\"ok\":true,\"id\":%lld,\"server_pid\":%lld}\n", (long long)m.id, (long long)pid);
      close(fd);
      return 0;
    }
  }
}

/* ------------------------------------------------------------------ main */

static void usage(void) {
  fprintf(stderr,
          "usage: loadgen start --socket PATH --plugin NAME [--config JSON]\n"
          "       loadgen run --socket PATH --instance ID[,ID...] [--conns N] [--concurrency N]\n"
          "                   [--duration S] [--warmup S] | [--events N]\n"
          "                   [--scenario echo|rawbody|abandon] [--body-bytes N] [--abandon-pct P]\n"
          "                   [--host STR] [--timeout S] [--slow-ms MS]\n");
  exit(64);
}

int main(int argc, char **argv) {
  if (argc < 2) usage();
  const char *cmd = argv[1];
  static struct option opts[] = {
      {"socket", required_argument, 0, 's'},   {"plugin", required_argument, 0, 'P'},
      {"config", required_argument, 0, 'C'},   {"instance", required_argument, 0, 'i'},
      {"conns", required_argument, 0, 'c'},    {"concurrency", required_argument, 0, 'k'},
      {"duration", required_argument, 0, 'd'}, {"warmup", required_argument, 0, 'w'},
      {"events", required_argument, 0, 'n'},   {"scenario", required_argument, 0, 'S'},
      {"body-bytes", required_argument, 0, 'b'}, {"abandon-pct", required_argument, 0, 'a'},
      {"slow-ms", required_argument, 0, 'L'},
      {"host", required_argument, 0, 'H'},     {"timeout", required_argument, 0, 't'},
      {0, 0, 0, 0}};
  lg_t g;
  memset(&g, 0, sizeof g);
  g.nconns = 1;
  g.duration = 5;
  g.timeout = 600;
  g.body_bytes = 1 << 20;
  g.abandon_pct = 10;
  g.host = "bench.example.com";
  g.scenario = SC_ECHO;
  const char *plugin = NULL, *config = "{}", *instances = NULL;
  int opt;
  optind = 2;
  while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (opt) {
      case 's': g.sock = optarg; break;
      case 'P': plugin = optarg; break;
      case 'C': config = optarg; break;
      case 'i': instances = optarg; break;
      case 'c': g.nconns = atoi(optarg); break;
      case 'k': g.nslots = atoi(optarg); break;
      case 'd': g.duration = atof(optarg); break;
      case 'w': g.warmup = atof(optarg); break;
      case 'n': g.max_events = atoll(optarg); break;
      case 'b': g.body_bytes = (size_t)atoll(optarg); break;
      case 'a': g.abandon_pct = atof(optarg); break;
      case 'L': g.slow_ms = atof(optarg); break;
      case 'H': g.host = optarg; break;
      case 't': g.timeout = atof(optarg); break;
      case 'S':
        if (!strcmp(optarg, "echo")) g.scenario = SC_ECHO;
        else if (!strcmp(optarg, "rawbody")) g.scenario = SC_RAWBODY;
        else if (!strcmp(optarg, "abandon")) g.scenario = SC_ABANDON;
        else usage();
        break;
      default: usage();
    }
  }
  if (!g.sock) usage();
  if (!strcmp(cmd, "start")) {
    if (!plugin) usage();
    return start_instance(g.sock, plugin, config);
  }
  if (strcmp(cmd, "run") != 0 || !instances) usage();
  for (const char *p = instances; p && *p;) {
    g.iids = xrealloc(g.iids, (size_t)(g.niids + 1) * sizeof *g.iids);
    g.iids[g.niids++] = atoll(p);
    p = strchr(p, ',');
    if (p) p++;
  }
  if (g.nconns < 1) g.nconns = 1;
  if (g.nslots < 1) g.nslots = g.nconns;
  if (g.abandon_pct < 0) g.abandon_pct = 0;
  if (g.abandon_pct > 100) g.abandon_pct = 100;
  return run(&g);
}
