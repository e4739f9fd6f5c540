// The Electron main process: wiring only. The logic lives in lib/ (tested without Electron).
import { app, BrowserWindow, Notification, ipcMain, session, shell } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorPageDataUrl } from './lib/errorPage.js';
import { resolveServer } from './lib/interpreter.js';
import { openRotatingLog } from './lib/logfile.js';
import { choosePort } from './lib/port.js';
import {
  CONTENT_SECURITY_POLICY, SESSION_COOKIE, SESSION_HEADER, isSafeExternalUrl, navigationDecision,
  newSessionToken, permissionAllowed, windowOptions,
} from './lib/security.js';
import { DjangoServer } from './lib/server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const bundleDir = app.isPackaged
  ? path.join(process.resourcesPath, 'django-bundle')
  : path.join(here, 'django-bundle');
let mainWindow = null;
let server = null;
let appOrigin = null;
let token = '';

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
  ses.setPermissionRequestHandler((_wc, permission, callback) => callback(permissionAllowed(permission)));
  ses.webRequest.onBeforeSendHeaders((details, callback) => {
    const headers = { ...details.requestHeaders };
    if (appOrigin && details.url.startsWith(appOrigin)) headers[SESSION_HEADER] = token;
    callback({ requestHeaders: headers });
  });
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...details.responseHeaders };
    if (appOrigin && details.url.startsWith(appOrigin)) {
      headers['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
    }
    callback({ responseHeaders: headers });
  });
}

function setupIpc() {
  const fromOurWindow = (event) => mainWindow && event.sender === mainWindow.webContents;
  ipcMain.on('djdesk:open-external', (event, url) => {
    if (fromOurWindow(event) && isSafeExternalUrl(url)) shell.openExternal(url);
  });
  ipcMain.on('djdesk:notify', (event, { title, body }) => {
    if (fromOurWindow(event) && Notification.isSupported()) new Notification({ title, body }).show();
  });
  ipcMain.on('djdesk:retry', (event) => {
    if (fromOurWindow(event)) startServerAndLoad();
  });
}

function createWindow() {
  mainWindow = new BrowserWindow(windowOptions({ preload: path.join(here, 'preload.cjs') }));
  const contents = mainWindow.webContents;
  contents.on('will-navigate', (event, url) => {
    const decision = navigationDecision(url, appOrigin);
    if (decision !== 'allow') event.preventDefault();
    if (decision === 'external') shell.openExternal(url);
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (navigationDecision(url, appOrigin) === 'external') shell.openExternal(url);
    return { action: 'deny' };
  });
  mainWindow.once('ready-to-show', () => mainWindow.show());
  mainWindow.on('closed', () => { mainWindow = null; });
}

async function startServerAndLoad() {
  if (server) await server.stop();
  const spec = resolveServer({ bundleDir, repoDir: path.resolve(here, '..') });
  const log = openRotatingLog(path.join(app.getPath('logs')));
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
    await mainWindow.loadURL(errorPageDataUrl({ message: error.message, logLines, logFile: log.file }));
  }
}

async function setup() {
  token = await newSessionToken();
  setupSession();
  setupIpc();
  createWindow();
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
process.on('exit', () => {
  if (!server || !server.child || process.platform === 'win32') return;
  try {
    process.kill(-server.child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
});
