// DjangoServer against real processes: Django from the source tree, Django from a built
// payload (DJDESK_TEST_PAYLOAD, set by the Python suite), and small fake launchers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { developmentPython, resolveServer } from '../lib/interpreter.js';
import { renderErrorPage } from '../lib/errorPage.js';
import { choosePort } from '../lib/port.js';
import { DjangoServer, ServerStartError, answersAPage, probe } from '../lib/server.js';
import { devServer, groupAlive, pidAlive } from './helpers.js';

const python = developmentPython({ appDir: devServer.appDir });
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'djdesk-node-'));

function fakeLauncher(source) {
  const dir = tmp();
  const file = path.join(dir, 'launcher.py');
  fs.writeFileSync(file, source);
  return { mode: 'bundle', command: python, args: [file], cwd: dir, env: {} };
}

test('dev mode: runserver from the source tree, readiness by probing, secret enforced', async () => {
  const spec = resolveServer({ bundleDir: '/nonexistent', devServer, env: { PYTHON: python } });
  assert.equal(spec.mode, 'dev');
  const port = await choosePort({ mode: 'dev', env: {} });
  const server = new DjangoServer(spec, { port, dataDir: tmp(), token: 'dev-secret', timeoutMs: 60_000 });
  try {
    const url = await server.start();
    assert.equal(url, `http://127.0.0.1:${port}/`);
    assert.equal(await probe(url, 'dev-secret'), 302); // to the first workspace
    assert.equal(await probe(url, ''), 403);
    assert.equal(await probe(url, 'wrong'), 403);
  } finally {
    await server.stop();
  }
  assert.equal(groupAlive(server.child.pid), false);
});

test('bundle mode: waits for DJDESK_READY from a built payload, secret enforced, clean stop',
  { skip: !process.env.DJDESK_TEST_PAYLOAD && 'set DJDESK_TEST_PAYLOAD to a built payload' },
  async () => {
    const bundleDir = process.env.DJDESK_TEST_PAYLOAD;
    const spec = resolveServer({ bundleDir, devServer, env: {} });
    assert.equal(spec.mode, 'bundle');
    const logDir = tmp();
    const { openRotatingLog } = await import('../lib/logfile.js');
    const log = openRotatingLog(logDir);
    const server = new DjangoServer(spec, { port: 0, dataDir: tmp(), token: 'bundle-secret', log });
    try {
      const url = await server.start();
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.equal(await probe(url, 'bundle-secret'), 302);
      assert.equal(await probe(`${url}api/workspaces/atlas-telemetry/status/`, 'bundle-secret'), 200);
      assert.equal(await probe(url, ''), 403);
    } finally {
      await server.stop();
      await log.close();
    }
    assert.equal(groupAlive(server.child.pid), false);
    assert.match(fs.readFileSync(path.join(logDir, 'shell.log'), 'utf8'), /DJDESK_READY http/);
  });

test('a server that dies on start gives an error with its last log lines', async () => {
  const spec = fakeLauncher('import sys\nprint("loading settings", flush=True)\n'
    + 'print("run_django: the database was migrated by a newer version", file=sys.stderr)\nsys.exit(3)\n');
  const server = new DjangoServer(spec, { port: 0, dataDir: tmp() });
  await assert.rejects(server.start(), (error) => {
    assert.ok(error instanceof ServerStartError);
    assert.match(error.message, /exited during start-up \(code 3\)/);
    const html = renderErrorPage({ message: error.message, logLines: error.logLines });
    assert.match(html, /migrated by a newer version/);
    assert.match(html, /Retry/);
    return true;
  });
});

test('a server answering 500 is not ready', async () => {
  const spec = fakeLauncher(`
import http.server, socketserver
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(500); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
s = socketserver.TCPServer(("127.0.0.1", 0), H)
print(f"DJDESK_READY http://127.0.0.1:{s.server_address[1]}/", flush=True)
s.serve_forever()
`);
  const server = new DjangoServer(spec, { port: 0, dataDir: tmp() });
  await assert.rejects(server.start(), /answered 500/);
  assert.equal(groupAlive(server.child.pid), false);
});

test("a project's own 404 on / is an app to show; a refused token or an error is not", () => {
  assert.deepEqual([200, 302, 404].map(answersAPage), [true, true, true]);
  assert.deepEqual([403, 400, 500, 502].map(answersAPage), [false, false, false, false]);
});

test("the environment's DJANGO_SETTINGS_MODULE never reaches the server; the spec's does", async () => {
  const launcher = 'import os\nprint("settings:", os.environ.get("DJANGO_SETTINGS_MODULE"), flush=True)\n'
    + 'import sys\nsys.exit(3)\n';
  const saved = process.env.DJANGO_SETTINGS_MODULE;
  process.env.DJANGO_SETTINGS_MODULE = 'another_project.settings';
  try {
    for (const [env, expected] of [[{}, 'settings: None'], [{ DJANGO_SETTINGS_MODULE: 'site.desk' }, 'settings: site.desk']]) {
      const server = new DjangoServer({ ...fakeLauncher(launcher), env }, { port: 0, dataDir: tmp() });
      await assert.rejects(server.start(), (error) => error.logLines.includes(expected));
    }
  } finally {
    if (saved === undefined) delete process.env.DJANGO_SETTINGS_MODULE;
    else process.env.DJANGO_SETTINGS_MODULE = saved;
  }
});

test('a server that never gets ready times out and is stopped', async () => {
  const spec = fakeLauncher('import time\nprint("starting", flush=True)\ntime.sleep(60)\n');
  const server = new DjangoServer(spec, { port: 0, dataDir: tmp(), timeoutMs: 1500 });
  await assert.rejects(server.start(), /not ready within 1.5 s/);
  assert.equal(groupAlive(server.child.pid), false);
});

test('stop() leaves no child process behind', async () => {
  const pidFile = path.join(tmp(), 'child.pid');
  const spec = fakeLauncher(`
import http.server, socketserver, subprocess, sys
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
open(${JSON.stringify(pidFile)}, "w").write(str(child.pid))
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
s = socketserver.TCPServer(("127.0.0.1", 0), H)
print(f"DJDESK_READY http://127.0.0.1:{s.server_address[1]}/", flush=True)
s.serve_forever()
`);
  const server = new DjangoServer(spec, { port: 0, dataDir: tmp() });
  await server.start();
  const childPid = Number(fs.readFileSync(pidFile, 'utf8'));
  assert.equal(pidAlive(childPid), true);
  await server.stop(1000);
  assert.equal(pidAlive(server.child.pid), false);
  // SIGKILL is delivered asynchronously: give the grandchild a moment to be gone.
  const deadline = Date.now() + 3000;
  while (pidAlive(childPid) && Date.now() < deadline) {
    await new Promise((resolve) => { setTimeout(resolve, 20); });
  }
  assert.equal(pidAlive(childPid), false);
});
