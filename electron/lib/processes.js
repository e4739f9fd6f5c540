// Is anything of a process group still running? (POSIX; used after stopping the server.)
import fs from 'node:fs';

function procStat(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' '); // [state, ppid, pgrp, ...]
}

/** Is any process of this group still alive? Zombies nobody reaps do not count. */
export function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (!fs.existsSync('/proc')) return true;
  return fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).some((pid) => {
    try {
      const [state, , group] = procStat(pid);
      return Number(group) === pgid && state !== 'Z';
    } catch {
      return false; // exited while we looked
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
    return procStat(pid)[0] !== 'Z';
  } catch {
    return true; // no /proc (macOS): kill(0) succeeded
  }
}

/** Wait until the group is empty; false if it is still there after `timeoutMs`. */
export async function waitGroupGone(pgid, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => { setTimeout(resolve, 20); });
  }
  return true;
}

/** The last resort when the shell itself dies: SIGKILL the whole group at once (POSIX). */
export function killGroupNow(pgid, platform = process.platform) {
  if (!pgid || platform === 'win32') return false;
  try {
    process.kill(-pgid, 'SIGKILL');
    return true;
  } catch {
    return false; // already gone
  }
}
