import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const electronDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = path.resolve(electronDir, '..');

/** Is any process of this group still alive? */
export function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (!fs.existsSync('/proc')) return true;
  // Every member left may be a zombie nobody reaps: those do not count.
  return fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).some((pid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[2]) === pgid && fields[0] !== 'Z';
    } catch {
      return false;
    }
  });
}

/** Alive and not a zombie (an orphan's zombie lingers where PID 1 does not reap). */
export function pidAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc (macOS): kill(0) succeeded
  }
}
