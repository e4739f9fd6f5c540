// Update states, settings, and the stop-everything-before-installing path against real
// Django servers (the source tree; a built payload with its worker when DJDESK_TEST_PAYLOAD).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ENV, LAUNCHER } from '../lib/contract.js';
import { FeedRefused } from '../lib/feedTrust.js';
import { developmentPython, resolveServer } from '../lib/interpreter.js';
import { choosePort } from '../lib/port.js';
import { SESSION_HEADER } from '../lib/security.js';
import { DjangoServer } from '../lib/server.js';
import {
  DEFAULT_SETTINGS, UpdateController, activeTaskRuns, loadSettings, prepareInstall, saveSettings,
} from '../lib/updates.js';
import { devServer, groupAlive } from './helpers.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'djdesk-updates-'));

/** electron-updater's autoUpdater surface: events out, check and download in. */
class ScriptedUpdater extends EventEmitter {
  constructor(script) {
    super();
    this.script = script;
    this.downloads = 0;
  }

  async checkForUpdates() {
    this.emit('checking-for-update');
    return this.script.check(this);
  }

  async downloadUpdate() {
    this.downloads += 1;
    for (const percent of [10.4, 55, 100]) this.emit('download-progress', { percent });
    this.emit('update-downloaded', { version: '0.2.0' });
  }
}

describe('what the user sees', () => {
  test('available, downloading with progress, ready to restart: never installs by itself', async () => {
    const states = [];
    const updater = new ScriptedUpdater({ check: (u) => u.emit('update-available', { version: '0.2.0' }) });
    const controller = new UpdateController(updater, { onState: (state) => states.push(state) });
    assert.equal((await controller.check()).phase, 'available');
    assert.equal(updater.downloads, 0); // nothing is downloaded before the user asks
    await controller.download();
    assert.deepEqual(states.map((s) => s.phase), ['checking', 'available', 'downloading', 'downloading',
      'downloading', 'ready']);
    assert.deepEqual(states.filter((s) => s.phase === 'downloading').map((s) => s.percent), [10, 55, 100]);
    assert.deepEqual(controller.state, { phase: 'ready', version: '0.2.0' });
  });

  test('a refused feed is shown as refused with its reason, and stays refused', async () => {
    const refusal = new FeedRefused('wrong-identity', 'the update feed was signed by someone else');
    const updater = new ScriptedUpdater({ check: (u) => {
      u.emit('error', refusal);
      throw refusal;
    } });
    const controller = new UpdateController(updater);
    const state = await controller.check();
    assert.deepEqual(state, { phase: 'refused', reason: 'wrong-identity',
      message: 'the update feed was signed by someone else' });
    updater.emit('error', new Error('net::ERR_CONNECTION_RESET'));
    assert.equal(controller.state.phase, 'refused');
    await assert.rejects(controller.download(), /nothing to download \(refused\)/);
  });

  test('a network failure is an error, not a refusal', async () => {
    const updater = new ScriptedUpdater({ check: () => { throw new Error('getaddrinfo ENOTFOUND'); } });
    assert.deepEqual(await new UpdateController(updater).check(),
      { phase: 'error', message: 'getaddrinfo ENOTFOUND' });
  });

  test('checking is opt-out: when off, nothing is asked of the updater', async () => {
    const updater = new ScriptedUpdater({ check: () => assert.fail('checked although disabled') });
    const controller = new UpdateController(updater, { settings: { checkForUpdates: false } });
    assert.equal(controller.state.phase, 'disabled');
    assert.equal((await controller.check()).phase, 'disabled');
  });

  test('settings: defaults, saved atomically, mistyped fields fall back', () => {
    const dir = tmp();
    const file = path.join(dir, 'settings.json');
    assert.deepEqual(loadSettings(file), DEFAULT_SETTINGS);
    saveSettings(file, { checkForUpdates: false });
    assert.deepEqual(loadSettings(file), { checkForUpdates: false, updateFeedUrl: '' });
    saveSettings(file, { updateFeedUrl: 'https://mirror.example/djdesk/' });
    assert.equal(loadSettings(file).updateFeedUrl, 'https://mirror.example/djdesk/');
    assert.deepEqual(fs.readdirSync(dir), ['settings.json']);
    fs.writeFileSync(file, '{"checkForUpdates": "no", "updateFeedUrl": "file:///etc/"}');
    assert.deepEqual(loadSettings(file), DEFAULT_SETTINGS);
    fs.writeFileSync(file, '{not json');
    assert.deepEqual(loadSettings(file), DEFAULT_SETTINGS);
  });
});

/** Queue a task run on a server with no worker, so it stays active. */
async function queueTaskRun(url, token) {
  const headers = { [SESSION_HEADER]: token };
  const home = await fetch(url, { headers, redirect: 'manual' });
  const slug = home.headers.get('location').split('/').filter(Boolean).pop();
  const page = await fetch(new URL('workspaces/new/', url), { headers });
  const csrf = /csrftoken=([^;]+)/.exec(page.headers.get('set-cookie'))[1];
  const response = await fetch(new URL('api/task-runs/', url), {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', 'x-csrftoken': csrf, cookie: `csrftoken=${csrf}` },
    body: JSON.stringify({ workspace: slug, preset: 'check', confirm_safe: true }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  return (await response.json()).id;
}

test('installing asks while a task run is active, and stops the server only when allowed', async () => {
  const python = developmentPython({ appDir: devServer.appDir });
  const spec = resolveServer({ bundleDir: '/nonexistent', devServer, env: { PYTHON: python } });
  spec.env = { ...spec.env, DJDESK_TASKS_BACKEND: 'database' }; // no worker: runs stay queued
  const token = 'install-secret';
  const server = new DjangoServer(spec, { port: await choosePort({ mode: 'dev', env: {} }), dataDir: tmp(),
    token, timeoutMs: 60_000 });
  try {
    await server.start();
    assert.deepEqual(await activeTaskRuns(server.url, token), []);
    const runId = await queueTaskRun(server.url, token);
    const asked = [];
    const decline = async (runs) => { asked.push(runs.map((r) => [r.id, r.status])); return false; };
    assert.equal(await prepareInstall({ server, token, confirm: decline }), false);
    assert.deepEqual(asked, [[[runId, 'requested']]]);
    assert.equal(server.child.exitCode, null); // still serving: the user chose to wait
    assert.equal(await prepareInstall({ server, token, confirm: async () => true }), true);
    assert.equal(groupAlive(server.child.pid), false);
  } finally {
    await server.stop();
  }
});

test('before installing, the payload\'s server and its worker are gone (process listing)',
  { skip: !process.env.DJDESK_TEST_PAYLOAD && 'set DJDESK_TEST_PAYLOAD to a built payload' },
  async () => {
    const spec = resolveServer({ bundleDir: process.env.DJDESK_TEST_PAYLOAD, devServer, env: {} });
    // The worker as a child process (the default runs it in a thread of the server): the
    // process group must be empty before the payload is replaced.
    const [, , processMode] = LAUNCHER.worker_modes;
    spec.env = { ...spec.env, [ENV.worker_mode]: processMode };
    const server = new DjangoServer(spec, { port: 0, dataDir: tmp(), token: 'payload-secret' });
    await server.start();
    const pgid = server.child.pid;
    const members = () => fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).filter((pid) => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(group) === pgid && state !== 'Z';
      } catch {
        return false;
      }
    });
    try {
      // A task queued: the launcher starts its worker (only when there is work).
      await queueTaskRun(server.url, 'payload-secret');
      const deadline = Date.now() + 60_000;
      while (members().length < 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(members().length >= 2, `expected the launcher and its worker, found ${members()}`);
      // The user agrees to stop the running task: the server and its worker are gone.
      assert.equal(await prepareInstall({ server, token: 'payload-secret', confirm: async () => true }), true);
      assert.deepEqual(members(), []);
    } finally {
      await server.stop();
    }
  });
