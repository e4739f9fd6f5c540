import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { PortInUseError, choosePort, isPortFree } from '../lib/port.js';

function listen() {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

test('the bundled launcher binds its own port (0)', async () => {
  assert.equal(await choosePort({ env: {}, mode: 'bundle' }), 0);
});

test('dev mode gets a free port from get-port', async () => {
  const port = await choosePort({ env: {}, mode: 'dev' });
  assert.ok(port > 0 && port < 65536);
  assert.equal(await isPortFree(port), true);
});

test('DJDESK_FORCE_PORT pins the port when free', async () => {
  const server = await listen();
  const { port } = server.address();
  await new Promise((resolve) => { server.close(resolve); });
  assert.equal(await choosePort({ env: { DJDESK_FORCE_PORT: String(port) }, mode: 'bundle' }), port);
});

test('DJDESK_FORCE_PORT on a busy port is a clear error', async () => {
  const server = await listen();
  const { port } = server.address();
  try {
    await assert.rejects(choosePort({ env: { DJDESK_FORCE_PORT: String(port) }, mode: 'dev' }),
      (error) => error instanceof PortInUseError && error.message.includes(`Port ${port}`));
  } finally {
    server.close();
  }
});

test('DJDESK_FORCE_PORT must be a port number', async () => {
  await assert.rejects(choosePort({ env: { DJDESK_FORCE_PORT: 'eighty' }, mode: 'dev' }),
    /must be a port number/);
});
