// The narrow bridge between the untrusted renderer and the main process.
// Sandboxed preloads cannot require local files, so the drop logic lives here and is
// exported for the tests (which run it against a jsdom window).
'use strict';

const WIZARD_PATH_KEY = 'djdesk.wizard.projectPath';

function normalisePath(raw) {
  const text = String(raw || '').trim();
  if (!text) return '';
  const separator = text.includes('\\') && !text.includes('/') ? '\\' : '/';
  const trimmed = text.length > 1 ? text.replace(/[\\/]+$/, '') : text;
  return separator === '/' ? trimmed.replace(/\/{2,}/g, '/') : trimmed;
}

/** A folder dropped on `.workspace-dropzone` becomes a `djdesk:workspace-drop` event. */
function installDropHandler(win, getPathForFile) {
  const { document } = win;
  document.addEventListener('dragover', (event) => {
    if (event.target.closest && event.target.closest('.workspace-dropzone')) event.preventDefault();
  });
  document.addEventListener('drop', (event) => {
    const zone = event.target.closest && event.target.closest('.workspace-dropzone');
    if (!zone) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    const file = event.dataTransfer && event.dataTransfer.files && event.dataTransfer.files[0];
    const path = normalisePath(file ? getPathForFile(file) : '');
    if (!path) return;
    win.localStorage.setItem(WIZARD_PATH_KEY, path);
    win.dispatchEvent(new win.CustomEvent('djdesk:workspace-drop', { detail: { path } }));
  }, true);
}

/** `data-doc-link` anchors open in the default browser (validated by the main process). */
function installDocLinks(win, openExternal) {
  win.document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a[data-doc-link]');
    if (!link) return;
    event.preventDefault();
    openExternal(link.getAttribute('data-doc-link') || link.href);
  });
}

/**
 * The IPC names from the contract, which the main process passes as an argument (a sandboxed
 * preload cannot read files): see lib/ipc.js preloadArgument().
 */
function ipcFromArgv(argv, prefix) {
  const argument = argv.find((arg) => arg.startsWith(prefix));
  if (!argument) throw new Error('the main process did not pass the IPC contract');
  return JSON.parse(argument.slice(prefix.length));
}

/** The bridge's methods: each sends one allowlisted action on the one channel. */
function makeBridge(ipc, ipcRenderer) {
  const send = (action, payload) => ipcRenderer.send(ipc.channel, action, payload);
  const { actions, events } = ipc;
  return {
    notify: (message) => send(actions.notify, {
      title: String((message && message.title) || ''), body: String((message && message.body) || ''),
    }),
    openExternal: (url) => send(actions.open_external, String(url)),
    retry: () => send(actions.retry),
    // Update states from the shell (plain objects, never the IPC event) and the user's
    // choice back; the main process accepts only its known actions.
    onUpdateState: (callback) => {
      ipcRenderer.on(ipc.eventChannel, (_event, name, state) => {
        if (name === events.update_state) callback(state);
      });
      send(actions.update_state_request);
    },
    updateAction: (action) => send(actions.update_action, String(action)),
  };
}

if (typeof process !== 'undefined' && process.versions && process.versions.electron) {
  const { contextBridge, ipcRenderer, webUtils } = require('electron');
  const ipc = ipcFromArgv(process.argv, '--djdesk-ipc=');
  const bridge = makeBridge(ipc, ipcRenderer);
  contextBridge.exposeInMainWorld('djdeskNative', bridge);
  window.addEventListener('DOMContentLoaded', () => {
    installDropHandler(window, (file) => webUtils.getPathForFile(file));
    installDocLinks(window, bridge.openExternal);
    const retry = document.querySelector('[data-djdesk-retry]');
    if (retry) retry.addEventListener('click', () => bridge.retry());
  });
}

if (typeof module !== 'undefined') {
  module.exports = {
    installDropHandler, installDocLinks, normalisePath, ipcFromArgv, makeBridge, WIZARD_PATH_KEY,
  };
}
