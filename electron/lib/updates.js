// What the user sees of updates, and the careful path to installing one. The updater is
// electron-updater's autoUpdater in the app; it never downloads or restarts on its own.
import fs from 'node:fs';
import path from 'node:path';
import { UI } from './contract.js';
import { FeedRefused } from './feedTrust.js';
import { groupAlive } from './processes.js';
import { SESSION_HEADER } from './security.js';

export const DEFAULT_SETTINGS = Object.freeze({ checkForUpdates: true, updateFeedUrl: '' });

const VALID = { updateFeedUrl: (url) => url === '' || /^https?:\/\/[^\s]+$/.test(url) };

/** Settings from `file`; unknown or mistyped fields fall back to their defaults. */
export function loadSettings(file) {
  let stored = {};
  try {
    stored = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
  const settings = { ...DEFAULT_SETTINGS };
  for (const [key, fallback] of Object.entries(DEFAULT_SETTINGS)) {
    const valid = VALID[key] || (() => true);
    if (stored && typeof stored[key] === typeof fallback && valid(stored[key])) settings[key] = stored[key];
  }
  return settings;
}

/** Write atomically: a crash mid-write leaves the previous settings. */
export function saveSettings(file, settings) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.partial`;
  fs.writeFileSync(partial, `${JSON.stringify({ ...DEFAULT_SETTINGS, ...settings }, null, 2)}\n`);
  fs.renameSync(partial, file);
}

const PHASE = UI.update_phases;

/**
 * Turns updater events into one state object for the UI, its phase one of the contract's
 * update phases (the page shows some of them: app/inspector/static/inspector/app.js).
 */
export class UpdateController {
  constructor(updater, { settings = DEFAULT_SETTINGS, onState = () => {}, log = () => {} } = {}) {
    this.updater = updater;
    this.settings = settings;
    this.onState = onState;
    this.log = log;
    this.state = { phase: settings.checkForUpdates ? PHASE.idle : PHASE.disabled };
    updater.on('checking-for-update', () => this.set({ phase: PHASE.checking }));
    updater.on('update-not-available', (info) => this.set({ phase: PHASE.current, version: info && info.version }));
    updater.on('update-available', (info) => this.set({ phase: PHASE.available, version: info.version }));
    updater.on('download-progress', (progress) => this.set({
      phase: PHASE.downloading, version: this.state.version,
      percent: Math.max(0, Math.min(100, Math.round(progress.percent || 0))),
    }));
    updater.on('update-downloaded', (info) => this.set({ phase: PHASE.ready, version: info.version }));
    updater.on('error', (error) => this.fail(error));
  }

  set(state) {
    this.state = state;
    this.log(`update: ${JSON.stringify(state)}`);
    this.onState(state);
  }

  /** A refused feed stays refused (fail closed) until the next explicit check. */
  fail(error) {
    if (this.state.phase === PHASE.refused) return;
    if (error instanceof FeedRefused || (error && error.name === 'FeedRefused')) {
      this.set({ phase: PHASE.refused, reason: error.reason, message: error.message });
    } else {
      this.set({ phase: PHASE.error, message: String((error && error.message) || error) });
    }
  }

  /** Automatic checks respect the setting; `{manual: true}` (the menu) always checks. */
  async check({ manual = false } = {}) {
    if (!manual && !this.settings.checkForUpdates) {
      this.set({ phase: PHASE.disabled });
      return this.state;
    }
    this.state = { phase: PHASE.checking };
    try {
      await this.updater.checkForUpdates();
    } catch (error) {
      this.fail(error);
    }
    return this.state;
  }

  async download() {
    if (this.state.phase !== PHASE.available) throw new Error(`nothing to download (${this.state.phase})`);
    try {
      await this.updater.downloadUpdate();
    } catch (error) {
      this.fail(error);
    }
    return this.state;
  }
}

/** Task runs still requested or running on the server (the inspector's API). */
export async function activeTaskRuns(serverUrl, token, timeoutMs = 5000) {
  const response = await fetch(new URL('api/task-runs/?state=active', serverUrl), {
    headers: token ? { [SESSION_HEADER]: token } : {}, signal: AbortSignal.timeout(timeoutMs),
  });
  if (response.status === 404) return []; // a project without the inspector's task API
  if (!response.ok) throw new Error(`GET api/task-runs/: HTTP ${response.status}`);
  return (await response.json()).runs;
}

/**
 * Get ready to run the installer: ask first when task runs are still running, then stop
 * the server and every child process and wait until they are gone, so no file of the old
 * payload is held open. Returns false when the user chose to wait.
 */
export async function prepareInstall({ server, token, confirm }) {
  if (server && server.url && server.child && server.child.exitCode === null) {
    let runs = [];
    try {
      runs = await activeTaskRuns(server.url, token);
    } catch {
      runs = [{ id: null, status: 'unknown' }]; // cannot tell: ask rather than guess
    }
    if (runs.length && !(await confirm(runs))) return false;
  }
  if (server) {
    const pid = server.child && server.child.pid;
    await server.stop();
    if (pid && process.platform !== 'win32' && groupAlive(pid)) {
      throw new Error(`processes of the server (group ${pid}) are still running`);
    }
  }
  return true;
}
