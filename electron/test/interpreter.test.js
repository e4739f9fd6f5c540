import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { bundledPython, resolveServer } from '../lib/interpreter.js';

const bundleDir = '/opt/DJDesk/resources/django-bundle';
const repoDir = '/src/djdesk';
const devServer = { appDir: `${repoDir}/app`, settings: 'djdesk.settings.local' };
const existing = (paths) => (p) => paths.includes(p);

test('the bundled payload wins when its launcher and python exist', () => {
  const spec = resolveServer({ bundleDir, devServer, env: { PYTHON: '/usr/bin/python3' }, platform: 'linux',
    exists: existing([`${bundleDir}/run_django.py`, `${bundleDir}/python/bin/python3`]) });
  assert.equal(spec.mode, 'bundle');
  assert.equal(spec.command, `${bundleDir}/python/bin/python3`);
  assert.deepEqual(spec.args, ['-I', `${bundleDir}/run_django.py`, '--host', '127.0.0.1']);
  // The payload's launcher.json names its settings: the shell imposes none.
  assert.deepEqual(spec.env, {});
});

test('a settings module in the environment is passed on to the payload', () => {
  const spec = resolveServer({ bundleDir, devServer, env: { DJANGO_SETTINGS_MODULE: 'site.settings.x' },
    platform: 'linux', exists: existing([`${bundleDir}/run_django.py`, `${bundleDir}/python/bin/python3`]) });
  assert.deepEqual(spec.env, { DJANGO_SETTINGS_MODULE: 'site.settings.x' });
});

test('windows uses python.exe of the payload', () => {
  assert.equal(bundledPython('C:\\b', 'win32'), 'C:\\b\\python\\python.exe');
});

test('then $PYTHON with the source tree and runserver', () => {
  const spec = resolveServer({ bundleDir, devServer, env: { PYTHON: '/custom/python' }, platform: 'linux',
    exists: existing([`${repoDir}/.venv/bin/python`]) });
  assert.equal(spec.mode, 'dev');
  assert.equal(spec.command, '/custom/python');
  assert.deepEqual(spec.args, ['manage.py', 'runserver', '--noreload']);
  assert.equal(spec.cwd, path.join(repoDir, 'app'));
  assert.equal(spec.env.DJANGO_SETTINGS_MODULE, 'djdesk.settings.local');
  assert.deepEqual(spec.prepare, [['manage.py', 'migrate', '--noinput', '-v', '0']]);
});

test('then the repository .venv, then python3 / python on PATH', () => {
  const venv = resolveServer({ bundleDir, devServer, env: { PATH: '/usr/bin' }, platform: 'linux',
    exists: existing([`${repoDir}/.venv/bin/python`, '/usr/bin/python3']) });
  assert.equal(venv.command, `${repoDir}/.venv/bin/python`);
  const onPath = resolveServer({ bundleDir, devServer, env: { PATH: '/a:/usr/bin' }, platform: 'linux',
    exists: existing(['/usr/bin/python3', '/a/python']) });
  assert.equal(onPath.command, '/usr/bin/python3');
  const plain = resolveServer({ bundleDir, devServer, env: { PATH: '/a' }, platform: 'linux',
    exists: existing(['/a/python']) });
  assert.equal(plain.command, '/a/python');
});

test('an explicit DJANGO_SETTINGS_MODULE is never overridden', () => {
  const env = { DJANGO_SETTINGS_MODULE: 'mine.settings', PYTHON: '/p' };
  const dev = resolveServer({ bundleDir, devServer, env, platform: 'linux', exists: () => false });
  assert.equal(dev.env.DJANGO_SETTINGS_MODULE, 'mine.settings');
  const bundle = resolveServer({ bundleDir, devServer, env, platform: 'linux', exists: () => true });
  assert.equal(bundle.env.DJANGO_SETTINGS_MODULE, 'mine.settings');
});

test('no python at all is a clear error', () => {
  assert.throws(() => resolveServer({ bundleDir, devServer, env: { PATH: '' }, platform: 'linux',
    exists: () => false }), /No Python found: build the payload/);
});

test('a .venv beside manage.py is found too (a flat project)', () => {
  const flat = { appDir: '/src/site', settings: null };
  const spec = resolveServer({ bundleDir, devServer: flat, env: {}, platform: 'linux',
    exists: existing(['/src/site/.venv/bin/python']) });
  assert.equal(spec.command, '/src/site/.venv/bin/python');
  assert.equal(spec.cwd, '/src/site');
  assert.deepEqual(spec.env, {}); // manage.py's own default settings
});

test('a shell without a development server asks for the payload', () => {
  assert.throws(() => resolveServer({ bundleDir, env: { PYTHON: '/p' }, platform: 'linux',
    exists: () => false }), /No payload in .*django-bundle: build it first \(djdesk-bundle build\)/);
});
