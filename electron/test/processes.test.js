import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { groupAlive, killGroupNow, waitGroupGone } from '../lib/processes.js';

test('killGroupNow takes a whole process group down at once (POSIX)',
  { skip: process.platform === 'win32' && 'process groups are POSIX' }, async () => {
    // A shell that starts a grandchild: both share the new group.
    const child = spawn('sh', ['-c', 'sleep 30 & sleep 30'], { detached: true, stdio: 'ignore' });
    await new Promise((resolve) => { setTimeout(resolve, 100); });
    assert.equal(groupAlive(child.pid), true);
    assert.equal(killGroupNow(child.pid), true);
    assert.equal(await waitGroupGone(child.pid, 5000), true);
    assert.equal(killGroupNow(child.pid, 'win32'), false);
    assert.equal(killGroupNow(0), false);
  });
