import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const electronDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = path.resolve(electronDir, '..');

export { groupAlive, pidAlive } from '../lib/processes.js';
