// `npm run dist` (release/dist.mjs): electron-builder only once it can get Electron, else
// one line saying how to give it one (issue 30: it failed with ENOTFOUND and a stack trace).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { electronDistOption, electronSource } from '../release/dist.mjs';
import { electronDir } from './helpers.js';

const VERSION = '45.4.1';
const offline = async () => { throw Object.assign(new Error('getaddrinfo ENOTFOUND github.com'), { code: 'ENOTFOUND' }); };
const online = async () => ({ address: '192.0.2.1' });
const scratches = [];
const scratch = () => {
  scratches.push(fs.mkdtempSync(path.join(os.tmpdir(), 'djdesk-dist-')));
  return scratches.at(-1);
};
after(() => { for (const dir of scratches) fs.rmSync(dir, { recursive: true, force: true }); });

test('electronDist is read as electron-builder reads it: the command line first, then the config', () => {
  assert.equal(electronDistOption(['--linux', 'dir', '-c.electronDist=/opt/electron'], {}), '/opt/electron');
  assert.equal(electronDistOption(['--config.electronDist', 'dist-e'], { electronDist: 'x' }), 'dist-e');
  assert.equal(electronDistOption(['--linux'], { electronDist: 'from-config' }), 'from-config');
  assert.equal(electronDistOption(['--linux'], {}), null);
});

test('offline, with no Electron given: refused in one line that says what to give', async () => {
  const home = scratch();
  const result = await electronSource({ args: ['--linux', 'dir'], env: {}, version: VERSION, lookup: offline, home });
  assert.equal(result.ok, false);
  assert.match(result.message, /^electron-builder cannot download Electron 45\.4\.1 \(github\.com: ENOTFOUND\): give electron-builder an Electron: -c\.electronDist=DIR .* or ELECTRON_MIRROR=URL/);
  assert.doesNotMatch(result.message, /\n/);
});

test('an electronDist, a mirror, a cached zip or a reachable GitHub: electron-builder runs', async () => {
  const home = scratch();
  const dist = scratch();
  const base = { env: {}, version: VERSION, lookup: offline, home };
  assert.deepEqual(await electronSource({ ...base, args: [`-c.electronDist=${dist}`] }), { ok: true, via: 'electronDist' });
  assert.deepEqual(await electronSource({ ...base, config: { electronDist: dist } }), { ok: true, via: 'electronDist' });
  assert.deepEqual(await electronSource({ ...base, env: { ELECTRON_MIRROR: 'https://mirror.example/electron/' } }),
    { ok: true, via: 'ELECTRON_MIRROR' });
  const cache = scratch();
  fs.mkdirSync(path.join(cache, 'abc123'));
  fs.writeFileSync(path.join(cache, 'abc123', `electron-v${VERSION}-linux-x64.zip`), '');
  assert.deepEqual(await electronSource({ ...base, env: { ELECTRON_CACHE: cache } }), { ok: true, via: 'cache' });
  assert.equal((await electronSource({ ...base, env: { ELECTRON_CACHE: cache }, version: '46.0.0' })).ok, false);
  assert.deepEqual(await electronSource({ ...base, lookup: online }), { ok: true, via: 'download' });
});

test('an electronDist that does not exist: refused, whatever the network', async () => {
  const result = await electronSource({ args: ['-c.electronDist=no/such/dir'], env: {}, version: VERSION,
    lookup: online, shellDir: '/srv/shell' });
  assert.equal(result.ok, false);
  assert.match(result.message, /^electronDist \/srv\/shell\/no\/such\/dir does not exist: give electron-builder/);
});

test('the command line: one error line and exit 1, electron-builder never started', () => {
  const script = path.join(electronDir, 'release', 'dist.mjs');
  const run = spawnSync(process.execPath, [script, '--linux', 'dir', '-c.electronDist=/no/such/electron'],
    { encoding: 'utf8', cwd: scratch() });
  assert.equal(run.status, 1);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /^error: electronDist \/no\/such\/electron does not exist: give electron-builder an Electron/);
  assert.equal(run.stderr.trim().split('\n').length, 1);
});
