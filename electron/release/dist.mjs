// `npm run dist`: electron-builder, after checking that it can get Electron. Without a
// network to GitHub it would fail after a minute with a Node stack trace (ENOTFOUND
// github.com); this says in one line how to give it an Electron you have instead:
//
//   npm run dist -- --linux dir -c.electronDist=DIR    (an unpacked Electron, or its zip's folder)
//   ELECTRON_MIRROR=https://mirror.example/electron/ npm run dist
//
// Every argument goes to electron-builder as it is.
import { spawnSync } from 'node:child_process';
import dns from 'node:dns/promises';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

const require = createRequire(import.meta.url);
const SHELL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOWNLOAD_HOST = 'github.com'; // where electron-builder gets Electron without a mirror
const HELP = 'give electron-builder an Electron: -c.electronDist=DIR (an unpacked Electron, '
  + 'e.g. node_modules/electron/dist after `npm ci` with the binary) or ELECTRON_MIRROR=URL '
  + '(docs/integration.md, "The desktop shell")';

/** electronDist as electron-builder would read it: the command line's, else the config's. */
export function electronDistOption(args, config) {
  for (let i = 0; i < args.length; i += 1) {
    const match = /^--?c(?:onfig)?\.electronDist(?:=(.*))?$/.exec(args[i]);
    if (match) return match[1] ?? args[i + 1] ?? '';
  }
  return config && typeof config.electronDist === 'string' ? config.electronDist : null;
}

/** @electron/get's cache (ELECTRON_CACHE, else the user cache dir) holds this Electron's zip? */
export function electronCached(version, env = process.env, home = os.homedir()) {
  const cacheDir = env.ELECTRON_CACHE || (process.platform === 'darwin'
    ? path.join(home, 'Library', 'Caches', 'electron')
    : path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'electron'));
  const zip = new RegExp(`^electron-v${version.replace(/\./g, '\\.')}-.+\\.zip$`);
  const walk = (dir, depth) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    return entries.some((entry) => (entry.isFile() && zip.test(entry.name))
      || (entry.isDirectory() && depth > 0 && walk(path.join(dir, entry.name), depth - 1)));
  };
  return walk(cacheDir, 1);
}

/**
 * How electron-builder will get Electron `version`: {ok, via} or {ok: false, message}.
 * `lookup` resolves the download host (DNS only: no request is made).
 */
export async function electronSource({ args = [], config = {}, env = process.env, version, shellDir = SHELL_DIR,
  lookup = (host) => dns.lookup(host), home = os.homedir() }) {
  const dist = electronDistOption(args, config);
  if (dist !== null && dist !== '') {
    const resolved = path.resolve(shellDir, dist);
    return fs.existsSync(resolved) ? { ok: true, via: 'electronDist' }
      : { ok: false, message: `electronDist ${resolved} does not exist: ${HELP}` };
  }
  if (env.ELECTRON_MIRROR) return { ok: true, via: 'ELECTRON_MIRROR' };
  if (electronCached(version, env, home)) return { ok: true, via: 'cache' };
  try {
    await lookup(DOWNLOAD_HOST);
  } catch (error) {
    return { ok: false,
      message: `electron-builder cannot download Electron ${version} (${DOWNLOAD_HOST}: ${error.code || error.message}): ${HELP}` };
  }
  return { ok: true, via: 'download' };
}

function builderConfig(shellDir) {
  try {
    return yaml.load(fs.readFileSync(path.join(shellDir, 'electron-builder.yml'), 'utf8')) || {};
  } catch {
    return {}; // electron-builder reports a missing or broken config itself
  }
}

async function main(args) {
  const pkg = JSON.parse(fs.readFileSync(path.join(SHELL_DIR, 'package.json'), 'utf8'));
  const version = String((pkg.devDependencies || {}).electron || '').replace(/^[^\d]*/, '');
  const source = await electronSource({ args, config: builderConfig(SHELL_DIR), version });
  if (!source.ok) {
    process.stderr.write(`error: ${source.message}\n`);
    return 1;
  }
  let cli;
  try {
    cli = require.resolve('electron-builder/cli.js');
  } catch {
    process.stderr.write('error: electron-builder is not installed: run `npm ci` in the shell\'s folder first\n');
    return 1;
  }
  return spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit', cwd: SHELL_DIR }).status ?? 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exit(await main(process.argv.slice(2)));
}
