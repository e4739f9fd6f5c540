import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { IPC, UI } from '../lib/contract.js';
import { createDispatcher, preloadArgument } from '../lib/ipc.js';

const require = createRequire(import.meta.url);
const { ipcFromArgv, makeBridge } = require('../preload.cjs');

function recordingDispatcher(trusted = true) {
  const calls = [];
  const logged = [];
  const dispatch = createDispatcher({
    isTrusted: () => trusted,
    log: (line) => logged.push(line),
    handlers: { [IPC.actions.retry]: (_event, payload) => calls.push(['retry', payload]) },
  });
  return { dispatch, calls, logged };
}

test('an allowlisted action from our window reaches its handler', () => {
  const { dispatch, calls } = recordingDispatcher();
  dispatch({}, IPC.actions.retry, 1);
  assert.deepEqual(calls, [['retry', 1]]);
});

test('unknown actions, inherited names and other windows are refused and logged', () => {
  const { dispatch, calls, logged } = recordingDispatcher();
  for (const action of ['shell-exec', '__proto__', 'constructor', 'toString', IPC.actions.notify, null]) {
    dispatch({}, action, 'x');
  }
  assert.deepEqual(calls, []);
  assert.equal(logged.length, 6);
  const other = recordingDispatcher(false);
  other.dispatch({}, IPC.actions.retry);
  assert.deepEqual(other.calls, []);
  assert.match(other.logged[0], /window the app did not create/);
});

test('a handler for an action the contract does not name is a programming error', () => {
  assert.throws(() => createDispatcher({ isTrusted: () => true, handlers: { 'run-shell': () => {} } }),
    /no IPC action "run-shell"/);
});

test('the preload finds the contract the main process passes, and sends on the one channel', () => {
  const argv = ['/electron', '--type=renderer', preloadArgument()];
  const ipc = ipcFromArgv(argv, IPC.preload_argument);
  assert.equal(ipc.channel, IPC.channel);
  assert.deepEqual(ipc.ui, UI); // the bridge's name and methods, the drop event, the storage key
  const sent = [];
  const listeners = [];
  const bridge = makeBridge(ipc, {
    send: (...args) => sent.push(args),
    on: (channel, listener) => listeners.push([channel, listener]),
  });
  assert.deepEqual(Object.keys(bridge).sort(), Object.values(UI.bridge_methods).sort());
  bridge.notify(null);
  bridge.openExternal('https://example.com/');
  bridge.updateAction({ toString: () => 'check' });
  const states = [];
  bridge.onUpdateState((state) => states.push(state));
  listeners[0][1]({}, IPC.events.update_state, { phase: 'idle' });
  listeners[0][1]({}, 'something-else', { phase: 'x' });
  assert.deepEqual(sent, [
    [IPC.channel, IPC.actions.notify, { title: '', body: '' }],
    [IPC.channel, IPC.actions.open_external, 'https://example.com/'],
    [IPC.channel, IPC.actions.update_action, 'check'],
    [IPC.channel, IPC.actions.update_state_request, undefined],
  ]);
  assert.equal(listeners[0][0], IPC.event_channel);
  assert.deepEqual(states, [{ phase: 'idle' }]);
  assert.throws(() => ipcFromArgv(['/electron'], IPC.preload_argument), /did not pass the IPC contract/);
});
