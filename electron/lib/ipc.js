// One IPC entry point: the renderer sends (action, payload) on the contract's channel; only
// allowlisted actions from the app's own window reach their handler.
import { IPC, UI } from './contract.js';

const KNOWN = new Set(Object.values(IPC.actions));

/**
 * @param {object} options
 * @param {(event) => boolean} options.isTrusted  is this event from the window we created?
 * @param {Record<string, (event, payload) => void>} options.handlers  keyed by action name
 * @param {(line: string) => void} [options.log]
 * @returns {(event, action, payload) => void}  the listener for ipcMain.on(IPC.channel, …)
 */
export function createDispatcher({ isTrusted, handlers, log = () => {} }) {
  for (const action of Object.keys(handlers)) {
    if (!KNOWN.has(action)) throw new Error(`no IPC action "${action}" in the contract`);
  }
  return (event, action, payload) => {
    if (!isTrusted(event)) {
      log('ipc: refused a message from a window the app did not create');
      return;
    }
    const handler = Object.hasOwn(handlers, action) ? handlers[action] : null;
    if (!handler) {
      log(`ipc: refused unknown action ${JSON.stringify(String(action)).slice(0, 80)}`);
      return;
    }
    handler(event, payload);
  };
}

/**
 * What the sandboxed preload is told (it cannot read files): via webPreferences.additionalArguments,
 * the IPC names and the names it shares with the page (the bridge, its methods, the drop event).
 */
export function preloadArgument() {
  const { channel, event_channel: eventChannel, actions, events } = IPC;
  return `${IPC.preload_argument}${JSON.stringify({ channel, eventChannel, actions, events, ui: UI })}`;
}
