/**
 * Benchmark driver: kong-ts-pdk's plugin server ("ours") against kong-js-pdk's
 * kong-js-pluginserver ("theirs"), with a bare Node server that answers the
 * echo scenario with canned replies ("ceiling", bench/ceiling-server.ts) as
 * the upper bound for one Node thread.
 *
 *   npm run bench                 full run (a few minutes, plus the soak)
 *   npm run bench -- --quick      smoke run (short durations, small soak)
 *
 * It compiles bench/loadgen.c (gcc -O2) into bench/build/, starts each server
 * on its own socket in a temporary prefix, loads the plugins of bench/plugins/
 * into both, and runs the scenarios with the load generator (which plays
 * Kong). Markdown results go to stdout and bench/out/results.md; progress goes
 * to stderr. See bench/README.md for what is measured and all the settings.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as http from 'node:http';
import * as path from 'node:path';

// ---------------------------------------------------------------- settings

interface Settings {
  quick: boolean;
  rounds: number;
  duration: number;
  warmup: number;
  conns: number[];
  rawbodySizes: number[];
  rawbodyEvents: number;
  soakEvents: number;
  /** soak waves, each of soakEvents, an event-TTL wait apart */
  soakWaves: number;
  soakConns: number;
  soakAbandonPct: number;
  soakWarmupEvents: number;
  eventTtl: number;
  ttlWait: number;
  pin: boolean;
  /** with pin: the load generator's CPU ("1", or "0" with --pin=same) */
  loadgenCpu: string;
  quietWait: number;
  retries: number;
  noiseLimit: number;
  skip: Set<string>;
  only: Set<Who> | null;
  /** our server's metrics: off, on (ours serves /metrics), both (a second "ours" with metrics on, side by side) */
  metrics: 'off' | 'on' | 'both';
  oursBin: string;
  ceilingBin: string;
  /** Wire codecs of the ceiling servers to run, one ceiling row each. */
  ceilingCodecs: CeilingCodec[];
  theirsBin: string;
  out: string;
}

const MiB = 1024 * 1024;

function findRepoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        const name = (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: unknown }).name;
        if (name === 'kong-ts-pdk') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the kong-ts-pdk package root above ${__dirname}`);
    dir = up;
  }
}

const ROOT = findRepoRoot();
const BENCH = path.join(ROOT, 'bench');

function usage(): never {
  process.stderr.write(`usage: node dist/bench/run.js [options]
  --quick                 smoke run: 1 round of 1 s, few raw-body events, 20k-event soak
  --rounds N              rounds per (scenario, connections); median is reported   [BENCH_ROUNDS, 3]
  --duration S            measured seconds per echo run                             [BENCH_DURATION, 5]
  --warmup S              unmeasured seconds before each echo run                   [BENCH_WARMUP, 1]
  --conns LIST            connection counts, e.g. 1,16,64,256                       [BENCH_CONNS]
  --rawbody-events N      events per raw-body run (per size)                        [BENCH_RAWBODY_EVENTS, 10]
  --soak-events N         events per soak wave                                      [BENCH_SOAK_EVENTS, 300000]
  --soak-waves N          soak waves, each followed by an event-TTL wait            [BENCH_SOAK_WAVES, 3]
  --soak-conns N          connections in the soak                                   [BENCH_SOAK_CONNS, 64]
  --abandon-pct P         share of soak events abandoned after the first PDK call   [BENCH_ABANDON_PCT, 100]
  --event-ttl S           passed to our server as --event-ttl S in the soak         [BENCH_EVENT_TTL, 5]
  --ttl-wait S            idle wait after the soak before the last RSS reading       [BENCH_TTL_WAIT, event-ttl + 10]
  --pin                   pin the server to CPU 0 and the load generator to CPU 1   [BENCH_PIN=1]
  --pin=same              pin both to CPU 0 (no cross-CPU wake-ups)                 [BENCH_PIN=same]
  --quiet-wait S          before each run, wait up to S s for other processes to go idle [BENCH_QUIET_WAIT, 60]
  --retries N             repeat a run disturbed by other processes up to N times  [BENCH_RETRIES, 2]
  --noise-limit CORES     "disturbed" = other processes used more than this         [BENCH_NOISE_LIMIT, 0.15]
  --skip LIST             skip phases: idle,echo,cpu,hog,rawbody,soak; "ceiling" drops the ceiling [BENCH_SKIP]
  --only LIST             run only these servers: ours,oursw,metrics,theirs,ceiling (oursw: ours with --workers auto)
  --metrics MODE          off | on (ours serves /metrics) | both (ours with and without, side by side) [BENCH_METRICS, off]
  --ceiling-codec LIST    the ceiling's wire codec(s): generated (ours), msgpack (@msgpack/msgpack
                          alone); both = one ceiling row each       [BENCH_CEILING_CODEC, generated]
  --ours-bin PATH         our server's entry script    [BENCH_OURS_BIN, bin/kong-ts-pluginserver]
  --theirs-bin PATH       kong-js-pdk's entry script   [BENCH_THEIRS_BIN, kong-pdk/bin/kong-js-pluginserver]
  --out FILE              Markdown output file         [BENCH_OUT, bench/out/results.md]
`);
  process.exit(64);
}

function parseSettings(argv: string[]): Settings {
  const flags = new Map<string, string>();
  const bools = new Set(['quick', 'pin']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (!a.startsWith('--')) usage();
    let key = a.slice(2);
    let val: string | undefined;
    const eq = key.indexOf('=');
    if (eq >= 0) {
      val = key.slice(eq + 1);
      key = key.slice(0, eq);
    }
    if (key === 'help') usage();
    if (bools.has(key)) {
      flags.set(key, val ?? '1');
      continue;
    }
    if (val === undefined) {
      val = argv[++i];
      if (val === undefined) usage();
    }
    flags.set(key, val);
  }
  const env = process.env;
  const quick = flags.has('quick') || env['BENCH_QUICK'] === '1';
  const pick = (flag: string, envName: string): string | undefined => flags.get(flag) ?? env[envName];
  const num = (flag: string, envName: string, full: number, smoke: number): number => {
    const raw = pick(flag, envName);
    if (raw === undefined || raw === '') return quick ? smoke : full;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`bad value for --${flag}: ${raw}`);
    return n;
  };
  const connsRaw = pick('conns', 'BENCH_CONNS');
  const conns = connsRaw ? connsRaw.split(',').map((s) => Math.max(1, Math.floor(Number(s)))) : [1, 16, 64, 256];
  if (conns.some((c) => !Number.isFinite(c))) throw new Error(`bad --conns: ${connsRaw}`);
  const eventTtl = num('event-ttl', 'BENCH_EVENT_TTL', 5, 2);
  const metricsRaw = pick('metrics', 'BENCH_METRICS') ?? 'off';
  if (metricsRaw !== 'off' && metricsRaw !== 'on' && metricsRaw !== 'both') usage();
  const ttlWaitRaw = pick('ttl-wait', 'BENCH_TTL_WAIT');
  const onlyRaw = flags.get('only');
  let only: Set<Who> | null = null;
  if (onlyRaw !== undefined) {
    const names = onlyRaw.split(',').filter((x) => x !== '');
    if (names.length === 0 || names.some((x) => !['ours', 'oursw', 'metrics', 'theirs', 'ceiling'].includes(x)))
      usage();
    only = new Set(names as Who[]);
  }
  let theirsBin = pick('theirs-bin', 'BENCH_THEIRS_BIN') ?? '';
  if (!theirsBin) {
    try {
      theirsBin = require.resolve('kong-pdk/bin/kong-js-pluginserver', { paths: [ROOT] });
    } catch {
      theirsBin = path.join(ROOT, 'node_modules', 'kong-pdk', 'bin', 'kong-js-pluginserver');
    }
  }
  const pinRaw = flags.get('pin') ?? env['BENCH_PIN'];
  const codecsRaw = (pick('ceiling-codec', 'BENCH_CEILING_CODEC') ?? 'generated').split(',').filter((x) => x !== '');
  if (codecsRaw.length === 0 || codecsRaw.some((x) => x !== 'generated' && x !== 'msgpack')) usage();
  const ceilingCodecs = [...new Set(codecsRaw)] as CeilingCodec[];
  return {
    quick,
    rounds: Math.max(1, Math.floor(num('rounds', 'BENCH_ROUNDS', 3, 1))),
    duration: num('duration', 'BENCH_DURATION', 5, 1),
    warmup: num('warmup', 'BENCH_WARMUP', 1, 0.5),
    conns,
    rawbodySizes: [1 * MiB, 5 * MiB],
    rawbodyEvents: Math.max(1, Math.floor(num('rawbody-events', 'BENCH_RAWBODY_EVENTS', 10, 3))),
    soakEvents: Math.max(1, Math.floor(num('soak-events', 'BENCH_SOAK_EVENTS', 300_000, 20_000))),
    soakWaves: Math.max(1, Math.floor(num('soak-waves', 'BENCH_SOAK_WAVES', 3, 1))),
    soakConns: Math.max(1, Math.floor(num('soak-conns', 'BENCH_SOAK_CONNS', 64, 16))),
    soakAbandonPct: num('abandon-pct', 'BENCH_ABANDON_PCT', 100, 100),
    soakWarmupEvents: quick ? 2_000 : 20_000,
    eventTtl,
    ttlWait: ttlWaitRaw !== undefined && ttlWaitRaw !== '' ? Number(ttlWaitRaw) : eventTtl + (quick ? 2 : 10),
    pin: pinRaw !== undefined && pinRaw !== '' && pinRaw !== '0',
    loadgenCpu: pinRaw === 'same' ? '0' : '1',
    quietWait: num('quiet-wait', 'BENCH_QUIET_WAIT', 60, 5),
    retries: Math.floor(num('retries', 'BENCH_RETRIES', 2, 0)),
    noiseLimit: num('noise-limit', 'BENCH_NOISE_LIMIT', 0.15, 0.15),
    skip: new Set((pick('skip', 'BENCH_SKIP') ?? '').split(',').filter((s) => s !== '')),
    only,
    metrics: metricsRaw,
    oursBin: path.resolve(ROOT, pick('ours-bin', 'BENCH_OURS_BIN') ?? 'bin/kong-ts-pluginserver'),
    theirsBin: path.resolve(ROOT, theirsBin),
    // compiled next to this driver from bench/ceiling-server.ts
    ceilingBin: path.join(__dirname, 'ceiling-server.js'),
    ceilingCodecs,
    out: path.resolve(ROOT, pick('out', 'BENCH_OUT') ?? 'bench/out/results.md'),
  };
}

// ------------------------------------------------------------------ helpers

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function fmtInt(n: number): string {
  if (!Number.isFinite(n)) return '–';
  return Math.round(n).toLocaleString('en-US');
}

function fmtUs(us: number): string {
  if (!Number.isFinite(us)) return '–';
  if (us >= 10_000) return `${(us / 1000).toFixed(1)} ms`;
  if (us >= 1000) return `${(us / 1000).toFixed(2)} ms`;
  return `${Math.round(us)} µs`;
}

function fmtMiB(kb: number): string {
  if (!Number.isFinite(kb)) return '–';
  return `${(kb / 1024).toFixed(1)} MiB`;
}

function fmtPct(x: number): string {
  if (!Number.isFinite(x)) return '–';
  return `${Math.round(x * 100)} %`;
}

function fmtRatio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '–';
  return `${(a / b).toFixed(2)}×`;
}

function fmtLoad(cores: number): string {
  if (!Number.isFinite(cores)) return '–';
  return cores.toFixed(2);
}

/** other processes (or the hypervisor) took CPU during a measurement */
function noisy(problems: string[], what: string, cores: number): void {
  if (cores > 0.15) {
    problems.push(
      `${what}: other processes kept ${cores.toFixed(2)} cores busy during the run (median); its figures are disturbed`,
    );
  }
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** children, grandchildren, ... of pid */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop() as number;
    let tasks: string[];
    try {
      tasks = fs.readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      let kids: string;
      try {
        kids = fs.readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const k of kids.split(/\s+/).filter((s) => s !== '')) {
        out.push(Number(k));
        stack.push(Number(k));
      }
    }
  }
  return out;
}

function rssKb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** user+system CPU seconds of a process (all its threads) */
function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** whole-machine CPU seconds: busy (all processes) and stolen by the hypervisor */
function machineCpu(): { busy: number; steal: number } {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const at = (i: number): number => f[i] ?? 0;
    // user nice system idle iowait irq softirq steal ...
    return { busy: (at(0) + at(1) + at(2) + at(5) + at(6)) / CLK_TCK, steal: at(7) / CLK_TCK };
  } catch {
    return { busy: NaN, steal: NaN };
  }
}

function exeOf(pid: number): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return '?';
  }
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    return m?.[1] ?? os.cpus()[0]?.model ?? '?';
  } catch {
    return os.cpus()[0]?.model ?? '?';
  }
}

function tail(file: string, lines = 15): string {
  try {
    // strip terminal colour codes kong-js-pdk's logger writes
    const text = fs
      .readFileSync(file, 'utf8')
      .replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g'), '');
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-lines)
      .join('\n');
  } catch {
    return '';
  }
}

// ------------------------------------------------------------ load generator

const LOADGEN_SRC = path.join(BENCH, 'loadgen.c');
const LOADGEN = path.join(BENCH, 'build', 'loadgen');

function buildLoadgen(): void {
  fs.mkdirSync(path.dirname(LOADGEN), { recursive: true });
  log(`compiling ${path.relative(ROOT, LOADGEN_SRC)}`);
  execFileSync('gcc', ['-O2', '-Wall', '-o', LOADGEN, LOADGEN_SRC], { stdio: ['ignore', 'inherit', 'inherit'] });
}

/** one JSON line from `loadgen run` (see loadgen.c) */
interface LgResult {
  ok: boolean;
  fatal?: string;
  scenario: string;
  conns: number;
  wall_s: number;
  /** events slower than slow_ms (with --slow-ms) */
  slow?: number;
  slow_ms?: number;
  events: number;
  abandoned: number;
  exits: number;
  errors: number;
  rpcs: number;
  events_per_s: number;
  rpcs_per_s: number;
  p50_us: number;
  p90_us: number;
  p99_us: number;
  max_us: number;
  mean_us: number;
  pdk_calls_per_event: number;
  hop_ratio: number;
  cpu_share: number;
  cpu_total_s: number;
  server_pid: number;
  timed_out: boolean;
  first_error: string | null;
}

/** the CPU to pin the load generator to, or null when not pinning */
function lgCpu(cfg: Settings): string | null {
  return cfg.pin ? cfg.loadgenCpu : null;
}

function execLoadgen(args: string[], cpu: string | null): Promise<{ code: number; stdout: string; stderr: string }> {
  const [cmd, argv] = cpu !== null ? ['taskset', ['-c', cpu, LOADGEN, ...args]] : [LOADGEN, args];
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function lastJson<T>(stdout: string): T | null {
  const line = stdout.trim().split('\n').pop();
  if (!line) return null;
  try {
    return JSON.parse(line) as T;
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------ servers

/**
 * `oursw`: our server with `--workers auto` (one worker process per CPU); `metrics`: our server
 * with --metrics-listen (the metrics on/off comparison); `ceiling-msgpack`: the ceiling on
 * @msgpack/msgpack alone.
 */
type Who = 'ours' | 'oursw' | 'metrics' | 'theirs' | 'ceiling' | 'ceiling-msgpack';

/** ours in any mode (gets the ours/theirs ratios) */
const isOurs = (who: Who): boolean => who === 'ours' || who === 'oursw' || who === 'metrics';

/** The ceiling server's `--codec`: ours generated from the IDL, or @msgpack/msgpack alone. */
type CeilingCodec = 'generated' | 'msgpack';

/** The canned-reply servers, which take part in the echo phase only. */
function isCeiling(who: Who): boolean {
  return who === 'ceiling' || who === 'ceiling-msgpack';
}

class PluginServer {
  proc: ChildProcess | null = null;
  pid = 0;
  /** the process whose RSS we read: the node process serving the socket */
  measurePid = 0;
  readonly sock: string;
  readonly logFile: string;
  exitInfo: string | null = null;
  notes: string[] = [];
  private instances = new Map<string, number>();

  constructor(
    readonly who: Who,
    public label: string,
    readonly bin: string,
    readonly prefix: string,
    readonly pin: boolean,
    /** flags every start of this server gets (e.g. `--workers auto`, the ceiling's codec) */
    readonly baseArgs: string[] = [],
  ) {
    this.sock = path.join(prefix, `${who}.sock`);
    this.logFile = path.join(prefix, `${who}.log`);
  }

  get alive(): boolean {
    return this.proc !== null && this.exitInfo === null;
  }

  async start(extraArgs: string[] = []): Promise<void> {
    this.instances.clear();
    this.exitInfo = null;
    try {
      fs.unlinkSync(this.sock);
    } catch {
      // not there
    }
    const args = [
      this.bin,
      '-d',
      path.join(BENCH, 'plugins'),
      '-p',
      this.prefix,
      '--sock-name',
      path.basename(this.sock),
      ...this.baseArgs,
      ...extraArgs,
    ];
    // node is started directly (no shell, no env wrapper); with --pin, taskset
    // execs node in place, so the pid is still the node process
    const [cmd, argv] = this.pin ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args];
    const logFd = fs.openSync(this.logFile, 'a');
    fs.writeSync(logFd, `\n=== ${new Date().toISOString()} ${cmd} ${argv.join(' ')}\n`);
    const proc = spawn(cmd, argv, { stdio: ['ignore', logFd, logFd], cwd: ROOT });
    fs.closeSync(logFd);
    this.proc = proc;
    this.pid = proc.pid ?? 0;
    this.measurePid = this.pid;
    proc.on('exit', (code, signal) => {
      if (this.proc === proc) this.exitInfo = signal ? `killed by ${signal}` : `exited with code ${code}`;
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (this.exitInfo) throw new Error(`${this.label} ${this.exitInfo} at startup:\n${tail(this.logFile)}`);
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`${this.label} did not listen on ${this.sock} within 30 s:\n${tail(this.logFile)}`);
      }
      if (fs.existsSync(this.sock) && (await canConnect(this.sock))) break;
      await sleep(50);
    }
    const exe = exeOf(this.pid);
    if (!path.basename(exe).startsWith('node')) {
      this.notes.push(`pid ${this.pid} runs ${exe}, not node`);
    }
  }

  /** StartInstance for a plugin/config once per server process; returns the id */
  async instance(plugin: string, config: object): Promise<number> {
    const key = `${plugin} ${JSON.stringify(config)}`;
    const have = this.instances.get(key);
    if (have !== undefined) return have;
    const r = await execLoadgen(
      ['start', '--socket', this.sock, '--plugin', plugin, '--config', JSON.stringify(config)],
      null,
    );
    const j = lastJson<{ ok: boolean; id?: number; server_pid?: number; fatal?: string }>(r.stdout);
    if (!j || !j.ok || j.id === undefined) {
      throw new Error(
        `${this.label}: StartInstance ${plugin} failed: ${j?.fatal ?? r.stderr.trim()}\n${tail(this.logFile)}`,
      );
    }
    if (j.server_pid) this.checkServerPid(j.server_pid);
    this.instances.set(key, j.id);
    return j.id;
  }

  /** drop a cached instance id (the server forgot the instance) */
  forget(plugin: string, config: object): void {
    this.instances.delete(`${plugin} ${JSON.stringify(config)}`);
  }

  /** a server that announces its pid ([2,"serverPid",pid]) must be the node process we measure */
  checkServerPid(pid: number): void {
    if (pid === this.measurePid) return;
    if (descendants(this.pid).includes(pid)) {
      this.notes.push(
        `serverPid notification names ${pid}, a child of the started process ${this.pid}; measuring ${pid}`,
      );
      this.measurePid = pid;
    } else if (!this.notes.some((n) => n.startsWith('serverPid'))) {
      this.notes.push(`serverPid notification says ${pid}, but the started process is ${this.pid}`);
    }
  }

  /** RSS in kB of the node process serving the socket (plus any children it has) */
  rss(): number {
    let kb = rssKb(this.measurePid);
    for (const d of descendants(this.measurePid)) kb += rssKb(d) || 0;
    return kb;
  }

  cpu(): number {
    let s = cpuSeconds(this.measurePid);
    for (const d of descendants(this.measurePid)) s += cpuSeconds(d) || 0;
    return s;
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = null;
    if (proc.exitCode === null && proc.signalCode === null) {
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(t);
    }
  }
}

function canConnect(sock: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.createConnection({ path: sock });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/** one measured run: the load generator's figures plus the server's RSS and CPU */
interface Run {
  lg: LgResult;
  rssKb: number;
  serverCpu: number; // share of one core during the run
  otherLoad: number; // cores busy with processes other than the server and the load generator
  steal: number; // cores stolen by the hypervisor
}

interface Failure {
  failed: string;
}

/** the plugin instance a run uses */
interface Inst {
  plugin: string;
  config: object;
}

/**
 * One run on the server's instance of `inst`. Our server forgets instances that
 * stay idle (60 s by default), which the waits of a long benchmark can exceed;
 * like Kong, the driver then starts the instance again and reruns.
 */
async function measure(server: PluginServer, inst: Inst, lgArgs: string[], cpu: string | null): Promise<Run | Failure> {
  for (let attempt = 0; ; attempt++) {
    const iid = await server.instance(inst.plugin, inst.config);
    const r = await measureOnce(server, ['--instance', String(iid), ...lgArgs], cpu);
    if (attempt === 0 && isRun(r) && r.lg.first_error !== null && /no plugin instance/i.test(r.lg.first_error)) {
      log(`  ${server.label} forgot instance ${iid} (${r.lg.first_error}); starting it again and repeating`);
      const note =
        'forgot an idle plugin instance between runs; the driver restarted it, as Kong would, and repeated the run';
      if (!server.notes.includes(note)) server.notes.push(note);
      server.forget(inst.plugin, inst.config);
      continue;
    }
    return r;
  }
}

async function measureOnce(server: PluginServer, lgArgs: string[], cpu: string | null): Promise<Run | Failure> {
  if (!server.alive) return { failed: `server not running (${server.exitInfo ?? 'not started'})` };
  const cpu0 = server.cpu();
  const m0 = machineCpu();
  const self0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = await execLoadgen(['run', '--socket', server.sock, ...lgArgs], cpu);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu1 = server.cpu();
  const m1 = machineCpu();
  const self = process.cpuUsage(self0);
  await sleep(100); // let an exit be noticed
  const lg = lastJson<LgResult>(r.stdout);
  if (!lg || !lg.ok) {
    const why = lg?.fatal ?? (lg?.timed_out ? 'load generator timed out' : r.stderr.trim() || `loadgen exit ${r.code}`);
    const state = server.alive ? 'server still running' : `server ${server.exitInfo}`;
    return { failed: `${why} (${state})\n${tail(server.logFile)}` };
  }
  if (lg.server_pid) server.checkServerPid(lg.server_pid);
  const serverCpu = cpu1 - cpu0;
  const other = m1.busy - m0.busy - serverCpu - (lg.cpu_total_s ?? 0) - (self.user + self.system) / 1e6;
  return {
    lg,
    rssKb: server.rss(),
    serverCpu: serverCpu / wall,
    otherLoad: Math.max(0, other / wall),
    steal: (m1.steal - m0.steal) / wall,
  };
}

/** wait until the rest of the machine is idle (the machine is shared) */
async function waitQuiet(maxSeconds: number, limit: number): Promise<void> {
  if (maxSeconds <= 0) return;
  const deadline = Date.now() + maxSeconds * 1000;
  let said = false;
  for (;;) {
    const m0 = machineCpu();
    const self0 = process.cpuUsage();
    await sleep(500);
    const m1 = machineCpu();
    const self = process.cpuUsage(self0);
    const load = (m1.busy - m0.busy + m1.steal - m0.steal - (self.user + self.system) / 1e6) / 0.5;
    if (load <= limit * 0.67) return;
    if (Date.now() > deadline) {
      log(`  machine still busy (${load.toFixed(2)} cores); measuring anyway`);
      return;
    }
    if (!said) log(`  other processes keep ${load.toFixed(2)} cores busy; waiting up to ${maxSeconds} s for quiet`);
    said = true;
  }
}

/** measure(), after waiting for quiet, repeated when other processes disturbed it */
async function measureClean(server: PluginServer, inst: Inst, lgArgs: string[], cfg: Settings): Promise<Run | Failure> {
  for (let attempt = 0; ; attempt++) {
    await waitQuiet(cfg.quietWait, cfg.noiseLimit);
    const r = await measure(server, inst, lgArgs, lgCpu(cfg));
    if (!isRun(r) || r.otherLoad + r.steal <= cfg.noiseLimit || attempt >= cfg.retries) return r;
    log(`  disturbed: other processes used ${(r.otherLoad + r.steal).toFixed(2)} cores; repeating`);
  }
}

function isRun(x: Run | Failure): x is Run {
  return (x as Failure).failed === undefined;
}

// ------------------------------------------------------------------ phases

interface Summary {
  eventsPerS: number;
  rpcsPerS: number;
  p50: number;
  p99: number;
  mean: number;
  rssKb: number;
  serverCpu: number;
  lgCpu: number;
  otherLoad: number;
  hop: number;
  perRound: number[];
  errors: number;
  firstError: string | null;
  exits: number;
  calls: number;
  failures: string[];
}

function summarize(runs: (Run | Failure)[]): Summary {
  const ok = runs.filter(isRun);
  const m = (f: (r: Run) => number): number => median(ok.map(f));
  return {
    eventsPerS: m((r) => r.lg.events_per_s),
    rpcsPerS: m((r) => r.lg.rpcs_per_s),
    p50: m((r) => r.lg.p50_us),
    p99: m((r) => r.lg.p99_us),
    mean: m((r) => r.lg.mean_us),
    rssKb: m((r) => r.rssKb),
    serverCpu: m((r) => r.serverCpu),
    lgCpu: m((r) => r.lg.cpu_share),
    otherLoad: m((r) => r.otherLoad + r.steal),
    hop: m((r) => r.lg.hop_ratio),
    perRound: ok.map((r) => r.lg.events_per_s),
    errors: ok.reduce((a, r) => a + r.lg.errors, 0),
    firstError: ok.find((r) => r.lg.first_error !== null)?.lg.first_error ?? null,
    exits: ok.reduce((a, r) => a + r.lg.exits, 0),
    calls: m((r) => r.lg.pdk_calls_per_event),
    failures: runs.filter((r): r is Failure => !isRun(r)).map((r) => r.failed),
  };
}

/** restart a server that died (e.g. crashed in an earlier run) */
async function revive(s: PluginServer, problems: string[]): Promise<boolean> {
  if (s.alive) return true;
  try {
    log(`${s.label} is not running (${s.exitInfo}); restarting it`);
    await s.start();
    return true;
  } catch (e) {
    problems.push(`${s.label} could not be restarted: ${(e as Error).message.split('\n')[0]}`);
    return false;
  }
}

async function echoPhase(cfg: Settings, servers: PluginServer[], problems: string[]): Promise<string> {
  const rows: string[][] = [];
  const hops: string[] = [];
  const metricsCost: string[] = [];
  for (const conns of cfg.conns) {
    const runs = new Map<Who, (Run | Failure)[]>(servers.map((s) => [s.who, []]));
    for (let round = 1; round <= cfg.rounds; round++) {
      for (const s of servers) {
        // alternate: ours, theirs, ceiling, ours, theirs, ceiling...
        if (!(await revive(s, problems))) continue;
        await s.instance('bench-echo', {});
        log(`echo conns=${conns} round ${round}/${cfg.rounds} ${s.label}`);
        const r = await measureClean(
          s,
          { plugin: 'bench-echo', config: {} },
          [
            '--conns',
            String(conns),
            '--scenario',
            'echo',
            '--duration',
            String(cfg.duration),
            '--warmup',
            String(cfg.warmup),
            '--timeout',
            String(cfg.duration + cfg.warmup + 120),
          ],
          cfg,
        );
        if (isRun(r)) {
          log(
            `  ${fmtInt(r.lg.events_per_s)} events/s, p50 ${fmtUs(r.lg.p50_us)}, p99 ${fmtUs(r.lg.p99_us)}, loadgen CPU ${fmtPct(r.lg.cpu_share)}`,
          );
        } else {
          log(`  FAILED: ${r.failed.split('\n')[0]}`);
        }
        runs.get(s.who)?.push(r);
      }
    }
    const sums = new Map<Who, Summary>();
    for (const s of servers) sums.set(s.who, summarize(runs.get(s.who) ?? []));
    const theirs = sums.get('theirs');
    const ceiling = sums.get('ceiling');
    const ceilingMsgpack = sums.get('ceiling-msgpack');
    for (const s of servers) {
      const x = sums.get(s.who) as Summary;
      const ours1 = sums.get('ours');
      const ratio = isOurs(s.who) && theirs ? fmtRatio(x.eventsPerS, theirs.eventsPerS) : '';
      const p99ratio = isOurs(s.who) && theirs ? fmtRatio(x.p99, theirs.p99) : '';
      // ours against the ceiling on our codec; the generated-codec ceiling against the @msgpack one
      const ceilRatio =
        isOurs(s.who) && ceiling
          ? fmtRatio(x.eventsPerS, ceiling.eventsPerS)
          : s.who === 'ceiling' && ceilingMsgpack
            ? `${fmtRatio(x.eventsPerS, ceilingMsgpack.eventsPerS)} (vs @msgpack)`
            : '';
      const w1Ratio = s.who === 'oursw' && ours1 ? fmtRatio(x.eventsPerS, ours1.eventsPerS) : '';
      rows.push([
        String(conns),
        s.label,
        fmtInt(x.eventsPerS),
        fmtInt(x.rpcsPerS),
        fmtUs(x.p50),
        fmtUs(x.p99),
        fmtMiB(x.rssKb),
        fmtPct(x.serverCpu),
        fmtPct(x.lgCpu),
        fmtLoad(x.otherLoad),
        ratio,
        p99ratio,
        ceilRatio,
        w1Ratio,
        x.perRound.map(fmtInt).join(' / '),
      ]);
      if (conns > 1) hops.push(`${conns} conns ${s.who}: ${fmtPct(x.hop)}`);
      for (const f of x.failures) problems.push(`echo conns=${conns} ${s.label}: ${f}`);
      noisy(problems, `echo conns=${conns} ${s.label}`, x.otherLoad);
      if (x.errors) problems.push(`echo conns=${conns} ${s.label}: ${x.errors} RPC errors (first: ${x.firstError})`);
      if (x.perRound.length && Math.abs(x.calls - 4) > 1e-9)
        problems.push(`echo conns=${conns} ${s.label}: ${x.calls} PDK calls per event, expected 4`);
    }
    const off = sums.get('ours');
    const on = sums.get('metrics');
    if (off && on && off.perRound.length && on.perRound.length) {
      // per-round pairs (rounds alternate, so each pair saw similar machine load) and the medians
      const pairs = on.perRound.map((v, i) => (off.perRound[i] ? fmtRatio(v, off.perRound[i]) : '–')).join(' / ');
      metricsCost.push(
        `${conns} conns: metrics on ${fmtInt(on.eventsPerS)} vs off ${fmtInt(off.eventsPerS)} events/s = ` +
          `${fmtRatio(on.eventsPerS, off.eventsPerS)} (per round ${pairs}); p99 ${fmtUs(on.p99)} vs ${fmtUs(off.p99)}`,
      );
    }
  }
  return [
    `## Echo: throughput and latency`,
    ``,
    `Plugin \`bench-echo\`: one access event = \`get_header("host")\` + 3 × \`set_header\` = 5 RPCs ` +
      `(HandleEvent + 4 Steps). Concurrency = connections; ${cfg.rounds} round(s) of ${cfg.duration} s ` +
      `(after ${cfg.warmup} s warm-up) per server, servers alternating; medians shown.` +
      (servers.some((s) => isCeiling(s.who))
        ? ` The ceiling is a bare Node server (\`bench/ceiling-server.ts\`, same wire codec as ours) that answers ` +
          `the same messages with canned replies — no plugin, no events: the most one Node thread does with this traffic.` +
          (servers.some((s) => s.who === 'ceiling-msgpack')
            ? ` The "@msgpack codec" ceiling runs the general path alone (no codec generated from the IDL); the ` +
              `ceiling row's last ratio compares the two.`
            : '')
        : ''),
    ``,
    table(
      [
        'conns',
        'server',
        'events/s',
        'RPCs/s',
        'p50',
        'p99',
        'server RSS',
        'server CPU',
        'loadgen CPU',
        'other load',
        'ours/theirs events/s',
        'ours/theirs p99',
        'ours/ceiling events/s',
        'workers auto / workers 1',
        'events/s per round',
      ],
      rows,
    ),
    ``,
    `Steps sent on a different connection than the event's previous call (median): ${hops.join(', ') || '–'}.`,
    ...(metricsCost.length
      ? ['', `Metrics cost (\`--metrics-listen\` on vs off, same binary):`, '', ...metricsCost.map((l) => `- ${l}`)]
      : []),
  ].join('\n');
}

/** Idle memory of each server, the whole process tree (a primary and its workers count together). */
async function idlePhase(servers: PluginServer[]): Promise<string> {
  await sleep(3000); // let start-up garbage be collected
  const rows = servers
    .filter((s) => !isCeiling(s.who) && s.alive)
    .map((s) => [s.label, String(1 + descendants(s.measurePid).length), fmtMiB(s.rss())]);
  const one = servers.find((s) => s.who === 'ours');
  const many = servers.find((s) => s.who === 'oursw');
  const ratio =
    one && many ? ` With workers the tree holds ${fmtRatio(many.rss(), one.rss())} the one-process RSS.` : '';
  return [
    `## Idle memory`,
    ``,
    `RSS (\`VmRSS\`) of each server's process tree, summed, 3 s after start with no load.${ratio} ` +
      `Summed RSS counts the Node binary's shared pages once per process.`,
    ``,
    table(['server', 'processes', 'RSS'], rows),
  ].join('\n');
}

/** The cpu scenario: bench-cpu (6 RSA-2048 verifications per event between its PDK calls). */
async function cpuPhase(cfg: Settings, all: PluginServer[], problems: string[]): Promise<string> {
  const servers = all.filter((s) => !isCeiling(s.who));
  const conns = 64;
  const runs = new Map<Who, (Run | Failure)[]>(servers.map((s) => [s.who, []]));
  for (let round = 1; round <= cfg.rounds; round++) {
    for (const s of servers) {
      if (!(await revive(s, problems))) continue;
      log(`cpu conns=${conns} round ${round}/${cfg.rounds} ${s.label}`);
      const r = await measureClean(
        s,
        { plugin: 'bench-cpu', config: {} },
        [
          '--conns',
          String(conns),
          '--scenario',
          'echo',
          '--duration',
          String(cfg.duration),
          '--warmup',
          String(cfg.warmup),
          '--timeout',
          String(cfg.duration + cfg.warmup + 120),
        ],
        cfg,
      );
      if (isRun(r))
        log(`  ${fmtInt(r.lg.events_per_s)} events/s, p99 ${fmtUs(r.lg.p99_us)}, server CPU ${fmtPct(r.serverCpu)}`);
      else log(`  FAILED: ${r.failed.split('\n')[0]}`);
      runs.get(s.who)?.push(r);
    }
  }
  const sums = new Map<Who, Summary>(servers.map((s) => [s.who, summarize(runs.get(s.who) ?? [])]));
  const theirs = sums.get('theirs');
  const ours1 = sums.get('ours');
  const rows = servers.map((s) => {
    const x = sums.get(s.who)!;
    for (const f of x.failures) problems.push(`cpu ${s.label}: ${f}`);
    if (x.errors) problems.push(`cpu ${s.label}: ${x.errors} RPC errors (first: ${x.firstError})`);
    noisy(problems, `cpu ${s.label}`, x.otherLoad);
    return [
      s.label,
      fmtInt(x.eventsPerS),
      fmtUs(x.p50),
      fmtUs(x.p99),
      fmtPct(x.serverCpu),
      fmtPct(x.lgCpu),
      fmtLoad(x.otherLoad),
      isOurs(s.who) && theirs ? fmtRatio(x.eventsPerS, theirs.eventsPerS) : '',
      s.who === 'oursw' && ours1 ? fmtRatio(x.eventsPerS, ours1.eventsPerS) : '',
      x.perRound.map(fmtInt).join(' / '),
    ];
  });
  return [
    `## CPU-bound plugin`,
    ``,
    `Plugin \`bench-cpu\`: the 4 PDK calls of bench-echo with 6 RSA-2048 signature verifications between them; ` +
      `${conns} connections, ${cfg.rounds} round(s) of ${cfg.duration} s, servers alternating; medians shown.`,
    ``,
    table(
      [
        'server',
        'events/s',
        'p50',
        'p99',
        'server CPU',
        'loadgen CPU',
        'other load',
        'ours/theirs events/s',
        'workers auto / workers 1',
        'events/s per round',
      ],
      rows,
    ),
  ].join('\n');
}

/**
 * The hog scenario: echo load on one instance while another plugin's single event blocks its
 * process for `hogMs`. Two runs per server: the whole run (how many echo events waited), and
 * only the events begun while the hog spins (does the server keep answering, and how fast).
 */
async function hogPhase(cfg: Settings, all: PluginServer[], problems: string[]): Promise<string> {
  const servers = all.filter((s) => !isCeiling(s.who));
  const conns = 64;
  const hogMs = 3000;
  const before = 2;
  const slowMs = 100;
  const rows: string[][] = [];
  /** One echo run beside one hog event that spins `before` s after both start. */
  const run = async (s: PluginServer, warmup: number, duration: number): Promise<Run | null> => {
    // Fresh instances: one left idle since an earlier phase may have expired.
    const hogConfig = { ms: hogMs, delay: before * 1000 };
    s.forget('bench-hog', hogConfig);
    s.forget('bench-echo', {});
    const hog = await s.instance('bench-hog', hogConfig);
    await s.instance('bench-echo', {});
    await waitQuiet(cfg.quietWait, cfg.noiseLimit);
    const echo = measure(
      s,
      { plugin: 'bench-echo', config: {} },
      [
        '--conns',
        String(conns),
        '--scenario',
        'echo',
        '--warmup',
        String(warmup),
        '--duration',
        String(duration),
        '--slow-ms',
        String(slowMs),
        '--timeout',
        String(warmup + duration + 120),
      ],
      lgCpu(cfg),
    );
    const blocker = await execLoadgen(
      ['run', '--socket', s.sock, '--instance', String(hog), '--conns', '1', '--events', '1', '--timeout', '60'],
      null,
    );
    const r = await echo;
    const b = lastJson<LgResult>(blocker.stdout);
    if (!b || !b.ok || b.errors > 0 || b.events !== 1)
      problems.push(`hog ${s.label}: the blocking event failed (${b?.first_error ?? blocker.stderr.trim()})`);
    if (!isRun(r)) {
      problems.push(`hog ${s.label}: ${r.failed.split('\n')[0]}`);
      return null;
    }
    if (r.lg.errors) problems.push(`hog ${s.label}: ${r.lg.errors} RPC errors (first: ${r.lg.first_error})`);
    return r;
  };
  for (const s of servers) {
    if (!(await revive(s, problems))) continue;
    log(`hog ${s.label}: echo at ${conns} conns, one ${hogMs} ms spin ${before} s into the run (two runs)`);
    const whole = await run(s, 0, before + hogMs / 1000);
    const during = await run(s, before, hogMs / 1000);
    if (!whole || !during) continue;
    rows.push([
      s.label,
      fmtInt(whole.lg.events),
      `${fmtInt(whole.lg.slow ?? 0)}`,
      fmtUs(whole.lg.max_us),
      fmtInt(during.lg.events),
      fmtInt(during.lg.events / (hogMs / 1000)),
      fmtUs(during.lg.p50_us),
      fmtUs(during.lg.p99_us),
    ]);
  }
  return [
    `## A plugin that blocks its process`,
    ``,
    `Echo load (\`bench-echo\`, ${conns} connections) while one event of \`bench-hog\` spins synchronously for ` +
      `${hogMs} ms in its handler, ${before} s into the run. Two runs per server: the whole ${before + hogMs / 1000} s ` +
      `("waited": echo events that took more than ${slowMs} ms), and only the echo events begun during the spin. ` +
      `With one process nothing begins while the loop spins, and every event in flight waits. With workers, the ` +
      `events that need the blocked worker wait (an RPC on a connection it serves, or an event it owns); a stuck ` +
      `connection is not reused (Kong's keepalive pool behaves the same), so the events begun afterwards run on ` +
      `the other worker's connections in normal time. (The spin is shorter than \`--max-blocked\`: no worker is ` +
      `replaced here.)`,
    ``,
    table(
      [
        'server',
        'echo events (whole run)',
        'waited',
        'longest',
        'echo events begun during the spin',
        'per second of spin',
        'their p50',
        'their p99',
      ],
      rows,
    ),
  ].join('\n');
}

async function rawbodyPhase(cfg: Settings, all: PluginServer[], problems: string[]): Promise<string> {
  // the ceiling only knows the echo scenario
  // the ceiling only knows echo; the workers variant is measured in the echo, cpu and hog phases
  const servers = all.filter((s) => !isCeiling(s.who) && s.who !== 'oursw');
  const rows: string[][] = [];
  for (const size of cfg.rawbodySizes) {
    const runs = new Map<Who, (Run | Failure)[]>(servers.map((s) => [s.who, []]));
    for (let round = 1; round <= cfg.rounds; round++) {
      for (const s of servers) {
        if (!(await revive(s, problems))) continue;
        await s.instance('bench-rawbody', { size });
        log(`rawbody ${size / MiB} MiB round ${round}/${cfg.rounds} ${s.label}`);
        const r = await measureClean(
          s,
          { plugin: 'bench-rawbody', config: { size } },
          [
            '--conns',
            '1',
            '--scenario',
            'rawbody',
            '--body-bytes',
            String(size),
            '--events',
            String(cfg.rawbodyEvents),
            '--timeout',
            '600',
          ],
          cfg,
        );
        if (isRun(r)) log(`  ${(r.lg.mean_us / 1000).toFixed(1)} ms/event`);
        else log(`  FAILED: ${r.failed.split('\n')[0]}`);
        runs.get(s.who)?.push(r);
      }
    }
    const sums = new Map<Who, Summary>();
    for (const s of servers) sums.set(s.who, summarize(runs.get(s.who) ?? []));
    const theirs = sums.get('theirs');
    for (const s of servers) {
      const x = sums.get(s.who) as Summary;
      const msPerEvent = x.mean / 1000;
      rows.push([
        `${size / MiB} MiB`,
        s.label,
        Number.isFinite(msPerEvent) ? msPerEvent.toFixed(1) : '–',
        fmtUs(x.p50),
        fmtUs(x.p99),
        Number.isFinite(msPerEvent) ? `${(size / MiB / (msPerEvent / 1000)).toFixed(0)} MiB/s` : '–',
        fmtMiB(x.rssKb),
        fmtPct(x.serverCpu),
        fmtLoad(x.otherLoad),
        isOurs(s.who) && theirs ? fmtRatio(x.mean, theirs.mean) : '',
      ]);
      for (const f of x.failures) problems.push(`rawbody ${size / MiB} MiB ${s.label}: ${f}`);
      noisy(problems, `rawbody ${size / MiB} MiB ${s.label}`, x.otherLoad);
      if (x.exits)
        problems.push(
          `rawbody ${size / MiB} MiB ${s.label}: ${x.exits} events ended with kong.response.exit (the plugin saw a body of the wrong length)`,
        );
      if (x.errors)
        problems.push(`rawbody ${size / MiB} MiB ${s.label}: ${x.errors} RPC errors (first: ${x.firstError})`);
    }
  }
  return [
    `## Raw body`,
    ``,
    `Plugin \`bench-rawbody\`: \`get_raw_body()\` answered with a bin of the given size, the plugin checks the ` +
      `length, then one \`set_header\`. 1 connection, ${cfg.rawbodyEvents} events per run, ${cfg.rounds} round(s), medians.`,
    ``,
    table(
      [
        'body',
        'server',
        'ms/event (mean)',
        'p50',
        'p99 (≈ max)',
        'body throughput',
        'server RSS',
        'server CPU',
        'other load',
        'ours/theirs time',
      ],
      rows,
    ),
  ].join('\n');
}

/** runs `fn` while sampling the server's RSS every 200 ms; resolves with its result and the peak */
async function withPeakRss<T>(s: PluginServer, fn: () => Promise<T>): Promise<{ result: T; peakKb: number }> {
  let peakKb = s.rss();
  const timer = setInterval(() => {
    const kb = s.rss();
    if (kb > peakKb) peakKb = kb;
  }, 200);
  try {
    const result = await fn();
    peakKb = Math.max(peakKb, s.rss());
    return { result, peakKb };
  } finally {
    clearInterval(timer);
  }
}

async function soakPhase(cfg: Settings, all: PluginServer[], problems: string[]): Promise<string> {
  // the ceiling only knows echo; the workers variant is measured in the echo, cpu and hog phases
  const servers = all.filter((s) => !isCeiling(s.who) && s.who !== 'oursw');
  const rows: string[][] = [];
  for (const s of servers) {
    // a fresh process, so that the figures do not depend on the earlier phases
    await s.stop();
    const extra = isOurs(s.who) ? ['--event-ttl', String(cfg.eventTtl)] : [];
    try {
      await s.start(extra);
    } catch (e) {
      if (extra.length) {
        s.notes.push(
          `did not start with --event-ttl ${cfg.eventTtl} (${(e as Error).message.split('\n')[0]}); soak ran with its default TTL`,
        );
        try {
          await s.start();
        } catch (e2) {
          problems.push(`soak ${s.label}: ${(e2 as Error).message.split('\n')[0]}`);
          continue;
        }
      } else {
        problems.push(`soak ${s.label}: ${(e as Error).message.split('\n')[0]}`);
        continue;
      }
    }
    await s.instance('bench-echo', {});
    const echo: Inst = { plugin: 'bench-echo', config: {} };
    const conns = String(cfg.soakConns);
    log(`soak ${s.label}: warm-up ${cfg.soakWarmupEvents} events`);
    const warm = await measure(
      s,
      echo,
      ['--conns', conns, '--scenario', 'echo', '--events', String(cfg.soakWarmupEvents)],
      lgCpu(cfg),
    );
    if (!isRun(warm)) {
      problems.push(`soak ${s.label} warm-up: ${warm.failed}`);
      continue;
    }
    await sleep(2000);
    await waitQuiet(cfg.quietWait, cfg.noiseLimit);
    const before = s.rss();
    let peakKb = before;
    const waves: string[] = [];
    let done = 0;
    let abandoned = 0;
    let failed = false;
    for (let wave = 1; wave <= cfg.soakWaves; wave++) {
      log(
        `soak ${s.label}: wave ${wave}/${cfg.soakWaves}, ${cfg.soakEvents} events, ${cfg.soakAbandonPct} % abandoned, ${conns} connections`,
      );
      const { result: soak, peakKb: wavePeak } = await withPeakRss(s, () =>
        measure(
          s,
          echo,
          [
            '--conns',
            conns,
            '--scenario',
            'abandon',
            '--abandon-pct',
            String(cfg.soakAbandonPct),
            '--events',
            String(cfg.soakEvents),
            '--timeout',
            '3600',
          ],
          lgCpu(cfg),
        ),
      );
      if (!isRun(soak)) {
        problems.push(`soak ${s.label} wave ${wave}: ${soak.failed}`);
        failed = true;
        break;
      }
      if (soak.lg.errors)
        problems.push(`soak ${s.label} wave ${wave}: ${soak.lg.errors} RPC errors (first: ${soak.lg.first_error})`);
      noisy(problems, `soak ${s.label} wave ${wave}`, soak.otherLoad + soak.steal);
      done += soak.lg.events;
      abandoned += soak.lg.abandoned;
      // the TTL frees the wave's events; the next wave starts once they have expired
      const { peakKb: ttlPeak } = await withPeakRss(s, () => sleep((cfg.eventTtl + 1) * 1000));
      peakKb = Math.max(peakKb, wavePeak, ttlPeak);
      const afterWave = s.rss();
      waves.push(`${fmtMiB(wavePeak)} / ${fmtMiB(afterWave)}`);
      log(`soak ${s.label}: wave ${wave} peak ${fmtMiB(wavePeak)}, ${cfg.eventTtl + 1} s later ${fmtMiB(afterWave)}`);
    }
    if (failed) {
      rows.push(['', s.label, fmtMiB(before), 'FAILED', '', '', '', '']);
      continue;
    }
    log(`soak ${s.label}: waiting ${cfg.ttlWait} s`);
    await sleep(cfg.ttlWait * 1000);
    const afterTtl = s.rss();
    // a little traffic lets the server's timers and GC run after the idle wait
    const tickle = await measure(s, echo, ['--conns', conns, '--scenario', 'echo', '--events', '2000'], lgCpu(cfg));
    await sleep(1000);
    const afterTickle = isRun(tickle) ? s.rss() : NaN;
    rows.push([
      `${cfg.soakWaves} × ${fmtInt(cfg.soakEvents)}`,
      s.label,
      fmtMiB(before),
      waves.join(' → '),
      fmtMiB(peakKb),
      fmtMiB(afterTtl),
      fmtMiB(afterTickle),
      `${fmtInt(abandoned)} / ${fmtInt(done + abandoned)}`,
    ]);
    log(
      `soak ${s.label}: peak ${fmtMiB(peakKb)}; after the TTL wait ${fmtMiB(afterTtl)}, after 2k more events ${fmtMiB(afterTickle)}`,
    );
  }
  return [
    `## Soak: abandoned events`,
    ``,
    `Plugin \`bench-echo\`, ${cfg.soakWaves} wave(s) of ${fmtInt(cfg.soakEvents)} events on ${cfg.soakConns} connections; ` +
      `${cfg.soakAbandonPct} % are abandoned after their first PDK call (never stepped again, as when Kong drops a ` +
      `request); each wave is followed by ${cfg.eventTtl + 1} s idle (the event TTL and a second). Fresh server ` +
      `processes; "before" is after ${fmtInt(cfg.soakWarmupEvents)} warm-up events. Our server is started with ` +
      `\`--event-ttl ${cfg.eventTtl}\`; kong-js-pdk has no event TTL. RSS is sampled every 200 ms; "after TTL" is read ` +
      `after a further ${cfg.ttlWait} s idle, the last column after 2,000 more events (so timers and GC have run).`,
    ``,
    table(
      [
        'waves × events',
        'server',
        'RSS before',
        'per wave: peak / after its TTL',
        'peak',
        'RSS after TTL',
        'after TTL + 2k events',
        'abandoned / all',
      ],
      rows,
    ),
  ].join('\n');
}

/** GET /metrics over the metrics socket */
function scrape(sock: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: sock, path: '/metrics' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
  });
}

/** the server's own series after the echo phase, and a few of prom-client's process ones */
async function scrapeSection(sock: string, problems: string[]): Promise<string> {
  let text: string;
  try {
    text = await scrape(sock);
  } catch (e) {
    problems.push(`metrics scrape: ${(e as Error).message}`);
    return '';
  }
  const own = text
    .split('\n')
    .filter((l) => l.startsWith('kong_ts_') && !/^kong_ts_(process|nodejs)_/.test(l))
    .filter((l) => !/_bucket\{/.test(l) || /le="(0\.001|0\.0005|\+Inf)"/.test(l));
  const proc = text
    .split('\n')
    .filter((l) =>
      /^kong_ts_(process_cpu_seconds_total|process_resident_memory_bytes|nodejs_eventloop_lag_seconds|nodejs_eventloop_lag_p99_seconds) /.test(
        l,
      ),
    );
  return [
    `## Metrics scrape after the echo runs`,
    ``,
    `\`GET /metrics\` of the server with metrics on, after every echo round (histogram buckets shortened to a few \`le\`; ` +
      `every series starts with \`kong_ts_\`):`,
    ``,
    '```',
    ...own,
    ...proc,
    '```',
  ].join('\n');
}

// --------------------------------------------------------------------- main

async function main(): Promise<void> {
  const cfg = parseSettings(process.argv.slice(2));
  buildLoadgen();
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-bench-'));
  const problems: string[] = [];
  const notes: string[] = [];
  const servers: PluginServer[] = [];

  const wanted = (who: Who): boolean => cfg.only === null || cfg.only.has(who);
  const metricsSock = path.join(prefix, 'metrics-http.sock');
  const metricsArgs = ['--metrics-listen', `unix:${metricsSock}`];
  if (wanted('ours') || (cfg.metrics === 'both' && wanted('metrics'))) {
    if (fs.existsSync(cfg.oursBin)) {
      if (wanted('ours'))
        servers.push(
          cfg.metrics === 'on'
            ? new PluginServer('ours', 'kong-ts-pdk (ours, metrics on)', cfg.oursBin, prefix, cfg.pin, [
                '--workers',
                '1',
                ...metricsArgs,
              ])
            : new PluginServer('ours', 'kong-ts-pdk (ours) --workers 1', cfg.oursBin, prefix, cfg.pin, [
                '--workers',
                '1',
              ]),
        );
      if (wanted('oursw'))
        servers.push(
          new PluginServer(
            'oursw',
            `kong-ts-pdk (ours) --workers auto (${os.availableParallelism()})`,
            cfg.oursBin,
            prefix,
            cfg.pin,
            ['--workers', 'auto'],
          ),
        );
      if (cfg.metrics === 'both')
        servers.push(
          new PluginServer('metrics', 'kong-ts-pdk (ours, metrics on)', cfg.oursBin, prefix, cfg.pin, metricsArgs),
        );
    } else {
      const msg = `our server ${path.relative(ROOT, cfg.oursBin)} does not exist yet: skipping "ours", measuring kong-js-pdk only`;
      log(msg);
      notes.push(msg);
    }
  }
  if (wanted('theirs')) {
    servers.push(new PluginServer('theirs', 'kong-js-pdk', cfg.theirsBin, prefix, cfg.pin));
  }
  if (wanted('ceiling') && !cfg.skip.has('ceiling') && !cfg.skip.has('echo')) {
    if (fs.existsSync(cfg.ceilingBin)) {
      for (const codec of cfg.ceilingCodecs) {
        servers.push(
          codec === 'generated'
            ? new PluginServer('ceiling', 'ceiling: bare Node, canned replies', cfg.ceilingBin, prefix, cfg.pin, [
                '--codec',
                'generated',
              ])
            : new PluginServer(
                'ceiling-msgpack',
                'ceiling: bare Node, canned replies, @msgpack codec',
                cfg.ceilingBin,
                prefix,
                cfg.pin,
                ['--codec', 'msgpack'],
              ),
        );
      }
    } else {
      notes.push(
        `ceiling server ${path.relative(ROOT, cfg.ceilingBin)} not found (compile bench/ceiling-server.ts): no ceiling row`,
      );
    }
  }
  try {
    const theirsPkg = JSON.parse(
      fs.readFileSync(path.join(path.dirname(cfg.theirsBin), '..', 'package.json'), 'utf8'),
    ) as { version?: string };
    const t = servers.find((s) => s.who === 'theirs');
    if (t && theirsPkg.version) t.label = `kong-js-pdk ${theirsPkg.version}`;
  } catch {
    // keep the default label
  }

  const cleanup = async (): Promise<void> => {
    for (const s of servers) await s.stop();
    fs.rmSync(prefix, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    void cleanup().then(() => process.exit(130));
  });

  const sections: string[] = [];
  try {
    const started: PluginServer[] = [];
    for (const s of servers) {
      try {
        log(`starting ${s.label}: ${path.relative(ROOT, s.bin)}`);
        await s.start();
        started.push(s);
      } catch (e) {
        problems.push((e as Error).message);
        log(`could not start ${s.label}; continuing without it`);
      }
    }
    servers.splice(0, servers.length, ...started);
    if (servers.length === 0) throw new Error('no server could be started');

    if (!cfg.skip.has('idle')) sections.push(await idlePhase(servers));
    if (!cfg.skip.has('echo')) sections.push(await echoPhase(cfg, servers, problems));
    if (!cfg.skip.has('cpu')) sections.push(await cpuPhase(cfg, servers, problems));
    if (!cfg.skip.has('hog')) sections.push(await hogPhase(cfg, servers, problems));
    if (cfg.metrics !== 'off' && !cfg.skip.has('echo')) sections.push(await scrapeSection(metricsSock, problems));
    if (!cfg.skip.has('rawbody')) sections.push(await rawbodyPhase(cfg, servers, problems));
    if (!cfg.skip.has('soak')) sections.push(await soakPhase(cfg, servers, problems));
    for (const s of servers) for (const n of s.notes) notes.push(`${s.label}: ${n}`);
  } finally {
    await cleanup();
  }

  const md = [
    `# kong-ts-pdk plugin server benchmark${cfg.quick ? ' (quick)' : ''}`,
    ``,
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpuModel()}, ${os.cpus().length} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${os.release()}; node ${process.version}`,
    `- servers: ${servers.map((s) => `${s.label} (\`${path.relative(ROOT, s.bin)}\`)`).join(', ')}`,
    `- load generator: \`bench/build/loadgen\` (single thread, epoll)${cfg.pin ? `; server pinned to CPU 0, load generator to CPU ${cfg.loadgenCpu}` : '; no CPU pinning'}`,
    `- "server CPU" and "loadgen CPU" are shares of one core during the measured run (100 % = one core busy); ` +
      `"other load" is how many cores the rest of the machine (other processes, hypervisor steal) kept busy meanwhile — above ~0.15 the figures are disturbed`,
    ...notes.map((n) => `- note: ${n}`),
    ``,
    ...sections.flatMap((s) => [s, '']),
    ...(problems.length ? ['## Problems', '', ...problems.map((p) => `- ${p.replace(/\n/g, '\n  ')}`), ''] : []),
  ].join('\n');
  fs.mkdirSync(path.dirname(cfg.out), { recursive: true });
  fs.writeFileSync(cfg.out, md);
  process.stdout.write(md);
  log(`written to ${path.relative(ROOT, cfg.out)}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`[bench] ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
