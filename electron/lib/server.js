// Start Django, wait until it is really ready, stop it with all its children.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import readline from 'node:readline';
import { waitGroupGone } from './processes.js';
import { ENV, LAUNCHER } from './contract.js';
import { SESSION_HEADER } from './security.js';

export const READY_PREFIX = LAUNCHER.ready_prefix;

export class ServerStartError extends Error {
  constructor(message, logLines) {
    super(message);
    this.logLines = logLines;
  }
}

function delay(ms) {
  return new Promise((resolve) => { setTimeout(resolve, ms); });
}

/** Whether `promise` resolves within `ms`; the timer is cleared when it does, so a long
 * grace period never keeps the event loop (the app's quit, a test run) waiting. */
async function resolvesWithin(promise, ms) {
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(resolve, ms, false); });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** One GET /: ready means 2xx or 3xx (a 500 is not ready). */
export async function probe(url, token, timeoutMs = 2000) {
  const headers = token ? { [SESSION_HEADER]: token } : {};
  const response = await fetch(url, { headers, redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs) });
  await response.arrayBuffer();
  return response.status;
}

function runTaskkill(args) {
  return new Promise((resolve) => {
    spawn('taskkill', args, { windowsHide: true }).once('exit', resolve).once('error', resolve);
  });
}

/**
 * Windows has no process groups or SIGTERM (and `taskkill` without /F cannot close a
 * console process that has no window): ask the launcher to stop by closing its stdin
 * (`close()`; it watches the pipe when ENV.stop_pipe is set), so Django and SQLite can
 * finish their writes; only after `graceMs` end the tree with `taskkill /T /F`. `exited`
 * resolves when the server process is gone; `run(args)` runs taskkill.
 * Returns 'graceful' or 'forced'.
 */
export async function stopWindowsTree(pid, exited, { graceMs = 5000, run = runTaskkill,
  close = () => {} } = {}) {
  close();
  const closed = await resolvesWithin(exited, graceMs);
  if (closed) return 'graceful';
  await run(['/pid', String(pid), '/T', '/F']);
  await exited;
  return 'forced';
}

/**
 * Whether the app serves its pages: any success or redirect, and also Django's own 404 for
 * a project without a page at / (the pre-flight check warns about it: djdesk.W006). A 403
 * (the session token refused) or a 5xx is not an app to show.
 */
export function answersAPage(status) {
  return status < 400 || status === 404;
}

export class DjangoServer {
  /**
   * @param {object} spec  {mode, command, args, cwd, env} from resolveServer()
   * @param {object} options  {port, dataDir, token, log, timeoutMs, echo, tailSize}
   */
  constructor(spec, { port, dataDir, token = '', log = null, timeoutMs = 30_000, echo = false,
    tailSize = 60 } = {}) {
    this.spec = spec;
    this.port = port;
    this.dataDir = dataDir;
    this.token = token;
    this.log = log;
    this.timeoutMs = timeoutMs;
    this.echo = echo;
    this.tailSize = tailSize;
    this.tail = [];
    this.child = null;
    this.exited = null;
    this.url = null;
  }

  record(line) {
    this.tail.push(line);
    if (this.tail.length > this.tailSize) this.tail.shift();
    if (this.log) this.log.write(line);
    if (this.echo) process.stderr.write(`${line}\n`);
  }

  logTail(count = 20) {
    return this.tail.slice(-count);
  }

  args() {
    if (this.spec.mode === 'bundle') return [...this.spec.args, LAUNCHER.options.port, String(this.port)];
    return [...this.spec.args, `127.0.0.1:${this.port}`];
  }

  async start() {
    // The settings module is the spec's alone: a developer's global DJANGO_SETTINGS_MODULE
    // (another project's) must not reach an installed app's launcher.
    const { [ENV.settings_module]: _inherited, ...inherited } = process.env;
    const env = {
      ...inherited,
      ...this.spec.env,
      [ENV.data_dir]: this.dataDir,
      PYTHONUNBUFFERED: '1',
      [ENV.stop_pipe]: '1', // the launcher stops when stdin closes (see stopWindowsTree)
      ...(this.token ? { [ENV.session_token]: this.token } : {}),
    };
    for (const args of this.spec.prepare || []) {
      try {
        await promisify(execFile)(this.spec.command, args, { cwd: this.spec.cwd, env });
      } catch (error) {
        for (const line of String(error.stderr || error.message).split('\n')) this.record(line);
        throw new ServerStartError(`${args.join(' ')} failed before start-up.`, this.logTail());
      }
    }
    // Its own process group (POSIX): stop() takes every child with it.
    this.child = spawn(this.spec.command, this.args(), {
      cwd: this.spec.cwd, env, detached: process.platform !== 'win32',
      stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true,
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
      this.child.once('error', (error) => {
        this.record(`failed to start ${this.spec.command}: ${error.message}`);
        resolve({ code: -1, signal: null });
      });
    });
    let announce;
    const announced = new Promise((resolve) => { announce = resolve; });
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
      this.record(line);
      if (line.startsWith(READY_PREFIX)) announce(line.slice(READY_PREFIX.length).trim());
    });
    readline.createInterface({ input: this.child.stderr }).on('line', (line) => this.record(line));

    const deadline = Date.now() + this.timeoutMs;
    const died = this.exited.then(({ code, signal }) => {
      throw new ServerStartError(`The Django server exited during start-up (${signal || `code ${code}`}).`,
        this.logTail());
    });
    let timer;
    const timedOut = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new ServerStartError(
        `The Django server was not ready within ${this.timeoutMs / 1000} s.`, this.logTail())),
      this.timeoutMs);
    });
    const ready = this.spec.mode === 'bundle' ? this.confirm(announced) : this.pollDev(deadline);
    try {
      this.url = await Promise.race([ready, died, timedOut]);
    } catch (error) {
      await this.stop();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return this.url;
  }

  /** Bundle: the launcher says when it listens; one request confirms. */
  async confirm(announced) {
    const url = await announced;
    const status = await probe(url, this.token);
    if (!answersAPage(status)) {
      throw new ServerStartError(`The server answered ${status} on / instead of a page.`, this.logTail());
    }
    return url;
  }

  /** Dev (runserver prints no readiness line): probe with a short backoff. */
  async pollDev(deadline) {
    const url = `http://127.0.0.1:${this.port}/`;
    let wait = 50;
    while (Date.now() < deadline) {
      try {
        const status = await probe(url, this.token);
        if (answersAPage(status)) return url;
      } catch {
        // not listening yet
      }
      await delay(wait);
      wait = Math.min(wait * 2, 500);
    }
    throw new ServerStartError('The development server never answered.', this.logTail());
  }

  /**
   * Stop the server and every child: SIGTERM to the group, SIGKILL after a grace period,
   * then wait until the group is empty (nothing of the payload stays open).
   */
  async stop(graceMs = 5000) {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const pid = this.child.pid;
    if (process.platform === 'win32') {
      await stopWindowsTree(pid, this.exited, { graceMs, close: () => this.child.stdin.end() });
      return;
    }
    try { process.kill(-pid, 'SIGTERM'); } catch { /* already gone */ }
    const finished = await resolvesWithin(this.exited, graceMs);
    if (!finished) {
      try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
      await this.exited;
    }
    // The launcher's children (if any) share the group: make sure none is left.
    if (!(await waitGroupGone(pid, Math.min(graceMs, 1000)))) {
      try { process.kill(-pid, 'SIGKILL'); } catch { /* the group is empty */ }
      await waitGroupGone(pid, graceMs);
    }
  }
}
