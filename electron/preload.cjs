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

if (typeof process !== 'undefined' && process.versions && process.versions.electron) {
  const { contextBridge, ipcRenderer, webUtils } = require('electron');
  contextBridge.exposeInMainWorld('djdeskNative', {
    notify: (message) => ipcRenderer.send('djdesk:notify', {
      title: String((message && message.title) || ''), body: String((message && message.body) || '') }),
    openExternal: (url) => ipcRenderer.send('djdesk:open-external', String(url)),
    retry: () => ipcRenderer.send('djdesk:retry'),
    // Update states from the shell (plain objects, never the IPC event) and the user's
    // choice back; the main process accepts only its known actions.
    onUpdateState: (callback) => {
      ipcRenderer.on('djdesk:update-state', (_event, state) => callback(state));
      ipcRenderer.send('djdesk:update-state-request');
    },
    updateAction: (action) => ipcRenderer.send('djdesk:update-action', String(action)),
  });
  window.addEventListener('DOMContentLoaded', () => {
    installDropHandler(window, (file) => webUtils.getPathForFile(file));
    installDocLinks(window, (url) => ipcRenderer.send('djdesk:open-external', String(url)));
    const retry = document.querySelector('[data-djdesk-retry]');
    if (retry) retry.addEventListener('click', () => ipcRenderer.send('djdesk:retry'));
  });
}

if (typeof module !== 'undefined') {
  module.exports = { installDropHandler, installDocLinks, normalisePath, WIZARD_PATH_KEY };
}
