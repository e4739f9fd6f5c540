// Which Python runs Django: the bundled payload when present, else a development
// interpreter running the source tree with runserver.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ENV, LAUNCHER, PAYLOAD, payloadPath } from './contract.js';

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

/** $PYTHON, else a .venv in the app dir or its parent, else python3 / python on PATH. */
export function developmentPython({ appDir, env = process.env, platform = process.platform,
  exists = existsSync }) {
  if (env.PYTHON) return env.PYTHON;
  for (const dir of [appDir, path.dirname(appDir)]) {
    const venv = platform === 'win32'
      ? path.join(dir, '.venv', 'Scripts', 'python.exe')
      : path.join(dir, '.venv', 'bin', 'python');
    if (exists(venv)) return venv;
  }
  return findOnPath(['python3', 'python'], env, platform, exists);
}

/**
 * How to start the server (without the port, chosen later).
 * @returns {{mode: 'bundle'|'dev', command: string, args: string[], cwd: string, env: object,
 *   prepare?: string[][]}}
 */
export function resolveServer({ bundleDir, devServer = null, env = process.env,
  platform = process.platform, exists = existsSync }) {
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
  if (!devServer) {
    throw new Error(`No payload in ${bundleDir}: build it first (djdesk-bundle build)`);
  }
  const devPython = developmentPython({ appDir: devServer.appDir, env, platform, exists });
  if (!devPython) {
    throw new Error('No Python found: build the payload (djdesk-bundle build), set $PYTHON, '
      + 'or install python3');
  }
  // An explicit DJANGO_SETTINGS_MODULE wins, then the shell's; else manage.py's default.
  const settings = env[ENV.settings_module] || devServer.settings;
  return {
    mode: 'dev',
    command: devPython,
    args: ['manage.py', 'runserver', '--noreload'],
    // runserver does not migrate: bring the dev database up to date first.
    prepare: [['manage.py', 'migrate', '--noinput', '-v', '0']],
    cwd: devServer.appDir,
    env: settings ? { [ENV.settings_module]: settings } : {},
  };
}
