// The Electron main process: wiring only. The logic lives in lib/ (tested without Electron).
import { app, BrowserWindow, Menu, Notification, dialog, ipcMain, session, shell } from 'electron';
import electronUpdater from 'electron-updater';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATA_DIR, IPC, PAYLOAD, UI } from './lib/contract.js';
import { errorPageDataUrl } from './lib/errorPage.js';
import { loadRefreshedFeedTrust } from './lib/feedTrust.js';
import { resolveServer } from './lib/interpreter.js';
import { openRotatingLog } from './lib/logfile.js';
import { createDispatcher, preloadArgument } from './lib/ipc.js';
import { choosePort } from './lib/port.js';
import { killGroupNow } from './lib/processes.js';
import {
  CONTENT_SECURITY_POLICY, SESSION_COOKIE, SESSION_HEADER, isAppUrl, isSafeExternalUrl, navigationDecision,
  newSessionToken, notificationOptions, permissionCheckAllowed, permissionRequestAllowed, windowOptions,
} from './lib/security.js';
import { DjangoServer } from './lib/server.js';
import { loadShellConfig } from './lib/shellConfig.js';
import { feedOptions } from './lib/updateFeed.js';
import { UpdateController, loadSettings, prepareInstall, saveSettings } from './lib/updates.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// This project's own settings (package.json, written by `djdesk-bundle init`).
const shellConfig = loadShellConfig(here);
const bundleDir = app.isPackaged ? path.join(process.resourcesPath, PAYLOAD.root) : shellConfig.payloadDir;
let mainWindow = null;
let server = null;
let appOrigin = null;
let token = '';
let log = null;
let updates = null;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.whenReady().then(setup);
}

function setupSession() {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, permission, callback, details) =>
    callback(permissionRequestAllowed(permission, details, appOrigin)));
  ses.setPermissionCheckHandler((_wc, permission, origin) => permissionCheckAllowed(permission, origin, appOrigin));
  ses.webRequest.onBeforeSendHeaders((details, callback) => {
    const headers = { ...details.requestHeaders };
    if (isAppUrl(details.url, appOrigin)) headers[SESSION_HEADER] = token;
    callback({ requestHeaders: headers });
  });
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...details.responseHeaders };
    if (isAppUrl(details.url, appOrigin)) {
      headers['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
    }
    callback({ responseHeaders: headers });
  });
}

function sendEvent(contents, name, payload) {
  contents.send(IPC.event_channel, name, payload);
}

// One channel, one dispatcher: only the contract's actions, only from our window.
function setupIpc() {
  const { actions, events } = IPC;
  ipcMain.on(IPC.channel, createDispatcher({
    isTrusted: (event) => Boolean(mainWindow) && event.sender === mainWindow.webContents,
    log: (line) => log.write(line),
    handlers: {
      [actions.open_external]: (_event, url) => { if (isSafeExternalUrl(url)) shell.openExternal(String(url)); },
      [actions.notify]: (_event, message) => {
        const options = notificationOptions(message); // null for junk: nothing shown, no throw
        if (options && Notification.isSupported()) new Notification(options).show();
      },
      [actions.retry]: () => { startServerAndLoad(); },
      [actions.update_state_request]: (event) => {
        if (updates) sendEvent(event.sender, events.update_state, updates.state);
      },
      [actions.update_action]: (_event, action) => {
        if (!updates) return;
        const { update_actions: choice, update_phases: phase } = UI;
        if (action === choice.check) updates.check({ manual: true });
        if (action === choice.download && updates.state.phase === phase.available) updates.download();
        if (action === choice.install && updates.state.phase === phase.ready) installUpdate();
      },
    },
  }));
}

// Updates: electron-updater with a provider whose feed must be signed by the release
// workflow (checked offline against the shipped trust root); never a silent restart.
async function setupUpdates() {
  const settingsFile = path.join(app.getPath('userData'), DATA_DIR.shell_settings);
  const settings = loadSettings(settingsFile);
  const { autoUpdater } = electronUpdater;
  Object.assign(autoUpdater, { autoDownload: false, autoInstallOnAppQuit: false, allowDowngrade: false });
  autoUpdater.logger = { info: (m) => log.write(`updater: ${m}`), warn: (m) => log.write(`updater: ${m}`),
    error: (m) => log.write(`updater: ${m}`), debug: () => {} };
  updates = new UpdateController(autoUpdater, {
    settings,
    onState: (state) => { if (mainWindow) sendEvent(mainWindow.webContents, IPC.events.update_state, state); },
    log: (line) => log.write(line),
  });
  Menu.setApplicationMenu(Menu.buildFromTemplate([
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' }] : [{ role: 'fileMenu' }]),
    { role: 'editMenu' }, { role: 'viewMenu' }, { role: 'windowMenu' },
    { label: 'Updates', submenu: [
      { label: 'Check for Updates Now', click: () => updates.check({ manual: true }) },
      { label: 'Check for Updates Automatically', type: 'checkbox', checked: settings.checkForUpdates,
        click: (item) => {
          settings.checkForUpdates = item.checked;
          saveSettings(settingsFile, settings);
        } },
    ] },
  ]));
  if (!app.isPackaged) return; // a development run has no installer to update
  try {
    // sigstore's current trust root through TUF (the shipped one when offline).
    const trust = await loadRefreshedFeedTrust({ refresh: {
      cacheDir: path.join(app.getPath('userData'), DATA_DIR.sigstore_tuf), log: (line) => log.write(line) } });
    const verification = { trust, currentVersion: app.getVersion(), onRefused: (error) => updates.fail(error) };
    // A generic URL (private mirror, tests) or the GitHub releases of the pinned repository.
    const feedUrl = process.env.DJDESK_UPDATE_URL || settings.updateFeedUrl;
    autoUpdater.setFeedURL(feedOptions({ feedUrl, trust, verification }));
  } catch (error) {
    updates.fail(error); // e.g. a modified trust root: fail closed, visibly
    return;
  }
  updates.check();
}

// Stop Django and all its children first (nothing of the old payload stays open), after
// asking if task runs are still going; then hand over to the installer.
async function installUpdate() {
  const confirm = async (runs) => {
    const { response } = await dialog.showMessageBox(mainWindow, {
      type: 'question', buttons: ['Wait', 'Stop them and install'], defaultId: 0, cancelId: 0,
      message: `${runs.length} task run(s) are still running.`,
      detail: 'Installing the update now stops them. Their logs so far are kept.',
    });
    return response === 1;
  };
  try {
    if (!(await prepareInstall({ server, token, confirm }))) return;
  } catch (error) {
    updates.set({ phase: UI.update_phases.error, message: error.message });
    return;
  }
  server = null;
  electronUpdater.autoUpdater.quitAndInstall(false, true);
}

function createWindow() {
  mainWindow = new BrowserWindow(windowOptions({
    preload: path.join(here, 'preload.cjs'), additionalArguments: [preloadArgument()],
    title: shellConfig.productName,
  }));
  const contents = mainWindow.webContents;
  const guardNavigation = (event, url) => {
    const decision = navigationDecision(url, appOrigin);
    if (decision !== 'allow') event.preventDefault();
    if (decision === 'external') shell.openExternal(url);
  };
  contents.on('will-navigate', guardNavigation);
  contents.on('will-redirect', guardNavigation); // a server redirect must not leave the app either
  contents.setWindowOpenHandler(({ url }) => {
    if (navigationDecision(url, appOrigin) === 'external') shell.openExternal(url);
    return { action: 'deny' };
  });
  mainWindow.once('ready-to-show', () => mainWindow.show());
  mainWindow.on('closed', () => { mainWindow = null; });
}

async function startServerAndLoad() {
  if (server) await server.stop();
  // An installed app runs the settings its payload names, whatever the user's environment says.
  const spec = app.isPackaged ? resolveServer({ bundleDir, env: {} })
    : resolveServer({ bundleDir, devServer: shellConfig.devServer });
  try {
    const port = await choosePort({ mode: spec.mode });
    server = new DjangoServer(spec, {
      port, dataDir: app.getPath('userData'), token, log, echo: !app.isPackaged,
    });
    const url = await server.start();
    appOrigin = new URL(url).origin;
    await session.defaultSession.cookies.set({ url, name: SESSION_COOKIE, value: token, httpOnly: true,
      sameSite: 'strict' });
    await mainWindow.loadURL(url);
  } catch (error) {
    const logLines = error.logLines || (server ? server.logTail() : []);
    await mainWindow.loadURL(errorPageDataUrl({
      productName: shellConfig.productName, message: error.message, logLines, logFile: log.file,
    }));
  }
}

async function setup() {
  token = await newSessionToken();
  // The data dir's logs/ (Django writes django.log there, the shell shell.log).
  log = openRotatingLog(path.join(app.getPath('userData'), DATA_DIR.logs));
  setupSession();
  setupIpc();
  createWindow();
  setupUpdates();
  await startServerAndLoad();
}

async function stopServer() {
  if (server) await server.stop();
  server = null;
}

app.on('before-quit', (event) => {
  if (!server) return;
  event.preventDefault();
  stopServer().finally(() => app.quit());
});
app.on('window-all-closed', () => { stopServer().finally(() => app.quit()); });
// Last resort if the shell itself dies: take the server's process group down with it.
process.on('exit', () => { if (server && server.child) killGroupNow(server.child.pid); });
