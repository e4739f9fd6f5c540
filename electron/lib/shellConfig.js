// What one project's shell has that another's does not, read from package.json (written by
// `djdesk-bundle init`): its product name, where a development run finds the payload, and
// how it runs the project from its sources when no payload has been built.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PAYLOAD } from './contract.js';

/**
 * @returns {{productName: string, payloadDir: string,
 *   devServer: {appDir: string, settings: string|null}|null}}
 */
export function shellConfig(packageJson, shellDir) {
  const own = packageJson.djdesk || {};
  const dev = own.devServer;
  return {
    productName: packageJson.productName || packageJson.name,
    payloadDir: path.resolve(shellDir, own.payloadDir || PAYLOAD.root),
    devServer: dev && dev.appDir
      ? { appDir: path.resolve(shellDir, dev.appDir), settings: dev.settings || null }
      : null,
  };
}

export function loadShellConfig(shellDir) {
  const packageJson = JSON.parse(readFileSync(path.join(shellDir, 'package.json'), 'utf8'));
  return shellConfig(packageJson, shellDir);
}
