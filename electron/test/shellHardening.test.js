// The shell's hardening (issue 17): origin comparison for the session token, the
// permission check handler, notify(null), will-redirect wiring, the Windows graceful stop,
// and the Electron fuses flipped by electron-builder's afterPack hook.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { isAppUrl, notificationOptions, permissionCheckAllowed } from '../lib/security.js';
import { stopWindowsTree } from '../lib/server.js';
import { electronDir } from './helpers.js';

const require = createRequire(import.meta.url);
const ORIGIN = 'http://127.0.0.1:5123';

test('the session token goes only to the app origin, compared as an origin', () => {
  assert.equal(isAppUrl(`${ORIGIN}/api/status/`, ORIGIN), true);
  assert.equal(isAppUrl(`${ORIGIN}`, `${ORIGIN}/`), true);
  // Both start with the app origin's text and are other servers:
  assert.equal(isAppUrl('http://127.0.0.1:5123@evil.example/steal', ORIGIN), false);
  assert.equal(isAppUrl('http://127.0.0.1:51234/', ORIGIN), false);
  assert.equal(isAppUrl('http://127.0.0.1:5123.evil.example/', ORIGIN), false);
  assert.equal(isAppUrl('https://127.0.0.1:5123/', ORIGIN), false);
  assert.equal(isAppUrl('not a url', ORIGIN), false);
  assert.equal(isAppUrl(`${ORIGIN}/`, null), false);
});

test('the main process wires origins, the permission check handler and will-redirect', () => {
  const main = fs.readFileSync(path.join(electronDir, 'main.js'), 'utf8');
  assert.doesNotMatch(main, /startsWith\(appOrigin\)/);
  assert.match(main, /isAppUrl\(details\.url, appOrigin\)/);
  assert.match(main, /setPermissionCheckHandler\(/);
  assert.match(main, /contents\.on\('will-redirect', guardNavigation\)/);
});

test('permission checks: only notifications, only for the app origin', () => {
  assert.equal(permissionCheckAllowed('notifications', `${ORIGIN}/`, ORIGIN), true);
  assert.equal(permissionCheckAllowed('notifications', 'https://evil.example', ORIGIN), false);
  assert.equal(permissionCheckAllowed('media', `${ORIGIN}/`, ORIGIN), false);
  assert.equal(permissionCheckAllowed('notifications', `${ORIGIN}/`, null), false);
});

test('notify(null) and other non-notifications are ignored, not thrown on', () => {
  for (const message of [null, undefined, 'text', 42, {}, { title: 7 }, { title: '' }]) {
    assert.equal(notificationOptions(message), null);
  }
  assert.deepEqual(notificationOptions({ title: 'Done', body: 5 }), { title: 'Done', body: '' });
  assert.equal(notificationOptions({ title: 'x'.repeat(500) }).title.length, 200);
});

test('Windows stop: stdin closed first (the launcher stops), taskkill /T /F only when the tree does not close', async () => {
  const calls = [];
  let exit;
  const exited = new Promise((resolve) => { exit = resolve; });
  const graceful = await stopWindowsTree(4242, exited, {
    graceMs: 60_000, run: async (args) => { calls.push(args); }, close: () => exit(),
  });
  assert.equal(graceful, 'graceful');
  assert.deepEqual(calls, []); // no taskkill at all

  const stubborn = [];
  let stop;
  const gone = new Promise((resolve) => { stop = resolve; });
  let closed = 0;
  const result = await stopWindowsTree(4243, gone, {
    graceMs: 10, close: () => { closed += 1; },
    run: async (args) => { stubborn.push(args); if (args.includes('/F')) stop(); },
  });
  assert.equal(result, 'forced');
  assert.equal(closed, 1);
  assert.deepEqual(stubborn, [['/pid', '4243', '/T', '/F']]);
});

const { afterPack, fuseConfig, getCurrentFuseWire } = require('../release/fuses.cjs');
const { FuseV1Options } = require('@electron/fuses');
const { FuseState } = require('@electron/fuses/dist/constants.js');
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

/** A stand-in Electron binary: Electron's fuse wire (sentinel, version 1, 8 fuses all on). */
function standInElectron(file) {
  fs.writeFileSync(file, Buffer.concat([Buffer.from('#!/bin/sh\n'), Buffer.from(SENTINEL),
    Buffer.from([1, 8]), Buffer.from('11111111')]), { mode: 0o755 });
}

test('afterPack flips the fuses: no RunAsNode, NODE_OPTIONS or --inspect; asar only, checked', async () => {
  for (const [platform, binary] of [['linux', 'djdesk'], ['win32', 'DJDesk.exe'],
    ['darwin', path.join('DJDesk.app', 'Contents', 'MacOS', 'DJDesk')]]) {
    const appOutDir = fs.mkdtempSync(path.join(os.tmpdir(), 'djdesk-fuses-'));
    fs.mkdirSync(path.dirname(path.join(appOutDir, binary)), { recursive: true });
    standInElectron(path.join(appOutDir, binary));
    if (platform === 'darwin') { // on macOS the fuse wire lives in the framework binary
      const framework = path.join(appOutDir, 'DJDesk.app', 'Contents', 'Frameworks', 'Electron Framework.framework');
      fs.mkdirSync(framework, { recursive: true });
      standInElectron(path.join(framework, 'Electron Framework'));
    }
    await afterPack({ appOutDir, electronPlatformName: platform, arch: 1,
      packager: { appInfo: { productFilename: 'DJDesk' }, executableName: 'djdesk' } });
    const wire = await getCurrentFuseWire(path.join(appOutDir, binary));
    assert.equal(wire[FuseV1Options.RunAsNode], FuseState.DISABLE);
    assert.equal(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable], FuseState.DISABLE);
    assert.equal(wire[FuseV1Options.EnableNodeCliInspectArguments], FuseState.DISABLE);
    assert.equal(wire[FuseV1Options.OnlyLoadAppFromAsar], FuseState.ENABLE);
    assert.equal(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation],
      platform === 'linux' ? FuseState.DISABLE : FuseState.ENABLE);
  }
  assert.equal(fuseConfig('darwin', 'arm64').resetAdHocDarwinSignature, true);
});

test('electron-builder runs the fuse hook', () => {
  const config = fs.readFileSync(path.join(electronDir, 'electron-builder.yml'), 'utf8');
  assert.match(config, /^afterPack: release\/afterPack\.cjs$/m);
});

test('the packaged app gets lib/*.js but not the contract declarations (lib/contract.d.ts)', async () => {
  // electron-builder's `files`: patterns in order, the last that matches decides, a "!"
  // excludes (it matches them with minimatch, as here).
  const { minimatch } = require('minimatch');
  const { loadBuilderConfig } = await import('../release/artifactNames.mjs');
  const patterns = loadBuilderConfig().files;
  const packed = (file) => patterns.reduce((included, pattern) => {
    const negated = pattern.startsWith('!');
    return minimatch(file, negated ? pattern.slice(1) : pattern, { dot: true }) ? !negated : included;
  }, false);
  const lib = fs.readdirSync(path.join(electronDir, 'lib'));
  assert.ok(lib.includes('contract.d.ts'));
  for (const name of lib) assert.equal(packed(`lib/${name}`), name.endsWith('.js'), name);
  assert.equal(packed('main.js'), true);
});
