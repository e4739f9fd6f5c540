// Which Python runs Django: the bundled payload when present, else a development
// interpreter running the source tree with runserver.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ENV, LAUNCHER, PAYLOAD, payloadPath } from './contract.js';

// Development runs of this repository's inspector from the source tree (a payload carries
// its own settings module in launcher.json).
export const DEV_SETTINGS = 'djdesk.settings.local';

export function bundledPython(bundleDir, platform = process.platform) {
  const relative = platform === 'win32' ? PAYLOAD.interpreter.windows : PAYLOAD.interpreter.posix;
  return payloadPath(platform === 'win32' ? path.win32 : path.posix, bundleDir, relative);
}

function findOnPath(names, env, platform, exists) {
  const dirs = (env.PATH || '').split(platform === 'win32' ? ';' : ':').filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = path.join(dir, platform === 'win32' ? `${name}.exe` : name);
      if (exists(candidate)) return candidate;
    }
  }
  return null;
}

/** $PYTHON, else the repository's .venv, else python3 / python on PATH. */
export function developmentPython({ repoDir, env = process.env, platform = process.platform,
  exists = existsSync }) {
  if (env.PYTHON) return env.PYTHON;
  const venv = platform === 'win32'
    ? path.join(repoDir, '.venv', 'Scripts', 'python.exe')
    : path.join(repoDir, '.venv', 'bin', 'python');
  if (exists(venv)) return venv;
  return findOnPath(['python3', 'python'], env, platform, exists);
}

/**
 * How to start the server (without the port, chosen later).
 * @returns {{mode: 'bundle'|'dev', command: string, args: string[], cwd: string, env: object,
 *   prepare?: string[][]}}
 */
export function resolveServer({ bundleDir, repoDir, env = process.env, platform = process.platform,
  exists = existsSync }) {
  const launcher = path.join(bundleDir, PAYLOAD.files.launcher);
  const python = bundledPython(bundleDir, platform);
  if (exists(launcher) && exists(python)) {
    const settings = env[ENV.settings_module];
    return {
      mode: 'bundle',
      command: python,
      args: [...LAUNCHER.python_flags, launcher, LAUNCHER.options.host, LAUNCHER.loopback_hosts[0]],
      cwd: bundleDir,
      env: settings ? { [ENV.settings_module]: settings } : {},
    };
  }
  const devPython = developmentPython({ repoDir, env, platform, exists });
  if (!devPython) {
    throw new Error('No Python found: build the payload (djdesk-bundle build), set $PYTHON, '
      + 'or install python3');
  }
  return {
    mode: 'dev',
    command: devPython,
    args: ['manage.py', 'runserver', '--noreload'],
    // runserver does not migrate: bring the dev database up to date first.
    prepare: [['manage.py', 'migrate', '--noinput', '-v', '0']],
    cwd: path.join(repoDir, 'app'),
    env: { [ENV.settings_module]: env[ENV.settings_module] || DEV_SETTINGS },
  };
}
