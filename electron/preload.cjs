// The narrow bridge between the untrusted renderer and the main process.
// Sandboxed preloads cannot require local files, so the drop logic lives here and is
// exported for the tests (which run it against a jsdom window). Every name it shares with
// the main process and the page comes from the contract, passed as an argument.
'use strict';

function normalisePath(raw) {
  const text = String(raw || '').trim();
  if (!text) return '';
  const separator = text.includes('\\') && !text.includes('/') ? '\\' : '/';
  const trimmed = text.length > 1 ? text.replace(/[\\/]+$/, '') : text;
  return separator === '/' ? trimmed.replace(/\/{2,}/g, '/') : trimmed;
}

/**
 * A folder dropped on the contract's dropzone becomes its drop event (the page fills the
 * wizard with it), the path kept under its storage key for the wizard's page.
 */
function installDropHandler(win, ui, getPathForFile) {
  const { document } = win;
  const inZone = (event) => event.target.closest && event.target.closest(ui.dropzone_selector);
  document.addEventListener('dragover', (event) => {
    if (inZone(event)) event.preventDefault();
  });
  document.addEventListener('drop', (event) => {
    const zone = inZone(event);
    if (!zone) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    const file = event.dataTransfer && event.dataTransfer.files && event.dataTransfer.files[0];
    const path = normalisePath(file ? getPathForFile(file) : '');
    if (!path) return;
    win.localStorage.setItem(ui.storage.wizard_project_path, path);
    win.dispatchEvent(new win.CustomEvent(ui.drop_event, { detail: { path } }));
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

/** The bridge's methods, named by the contract: each sends one allowlisted action on the one channel. */
function makeBridge(ipc, ipcRenderer) {
  const send = (action, payload) => ipcRenderer.send(ipc.channel, action, payload);
  const { actions, events, ui: { bridge_methods: methods } } = ipc;
  return {
    [methods.notify]: (message) => send(actions.notify, {
      title: String((message && message.title) || ''), body: String((message && message.body) || ''),
    }),
    [methods.open_external]: (url) => send(actions.open_external, String(url)),
    [methods.retry]: () => send(actions.retry),
    // Update states from the shell (plain objects, never the IPC event) and the user's
    // choice back; the main process accepts only its known actions.
    [methods.on_update_state]: (callback) => {
      ipcRenderer.on(ipc.eventChannel, (_event, name, state) => {
        if (name === events.update_state) callback(state);
      });
      send(actions.update_state_request);
    },
    [methods.update_action]: (action) => send(actions.update_action, String(action)),
  };
}

if (typeof process !== 'undefined' && process.versions && process.versions.electron) {
  const { contextBridge, ipcRenderer, webUtils } = require('electron');
  const ipc = ipcFromArgv(process.argv, '--djdesk-ipc=');
  const { ui } = ipc;
  const bridge = makeBridge(ipc, ipcRenderer);
  contextBridge.exposeInMainWorld(ui.bridge, bridge);
  window.addEventListener('DOMContentLoaded', () => {
    installDropHandler(window, ui, (file) => webUtils.getPathForFile(file));
    installDocLinks(window, bridge[ui.bridge_methods.open_external]);
    const retry = document.querySelector('[data-djdesk-retry]');
    if (retry) retry.addEventListener('click', () => bridge[ui.bridge_methods.retry]());
  });
}

if (typeof module !== 'undefined') {
  module.exports = {
    installDropHandler, installDocLinks, normalisePath, ipcFromArgv, makeBridge,
  };
}
