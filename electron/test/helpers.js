import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadShellConfig } from '../lib/shellConfig.js';

export const electronDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = path.resolve(electronDir, '..');
// The inspector's source-tree server, as its package.json names it.
export const { devServer } = loadShellConfig(electronDir);

export { groupAlive, pidAlive } from '../lib/processes.js';
