// Port selection: DJDESK_FORCE_PORT pins it; the bundled launcher binds a free port
// itself (--port 0, no race); dev-mode runserver gets one from get-port.
import net from 'node:net';
import getPort from 'get-port';
import { ENV } from './contract.js';

export class PortInUseError extends Error {}

export function isPortFree(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.once('listening', () => probe.close(() => resolve(true)));
    probe.listen(port, host);
  });
}

export async function choosePort({ env = process.env, mode }) {
  const forced = env[ENV.force_port];
  if (forced) {
    const port = Number(forced);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`${ENV.force_port} must be a port number (1-65535), not "${forced}"`);
    }
    if (!(await isPortFree(port))) {
      throw new PortInUseError(`Port ${port} (${ENV.force_port}) is already in use on 127.0.0.1`);
    }
    return port;
  }
  if (mode === 'bundle') return 0;
  return getPort({ host: '127.0.0.1' });
}
