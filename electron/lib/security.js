// Security decisions, as pure functions the main process applies.
import { SESSION } from './contract.js';

export const SESSION_HEADER = SESSION.header;
export const SESSION_COOKIE = SESSION.cookie;

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Only http(s) URLs with a host go to the default browser: no file:, javascript:, custom schemes. */
export function isSafeExternalUrl(raw) {
  let url;
  try {
    url = new URL(String(raw));
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== ''
    && url.username === '' && url.password === '';
}

/** 'allow' inside the app's origin, 'external' for safe web links, else 'deny'. */
export function navigationDecision(target, appOrigin) {
  let url;
  try {
    url = new URL(String(target));
  } catch {
    return 'deny';
  }
  if (appOrigin && url.origin === new URL(appOrigin).origin) return 'allow';
  return isSafeExternalUrl(url.href) ? 'external' : 'deny';
}

export function permissionAllowed(permission) {
  return permission === 'notifications';
}

/** BrowserWindow options: the renderer is untrusted. */
export function windowOptions({ preload, title = 'DJDesk', additionalArguments = [] }) {
  return {
    width: 1280,
    height: 860,
    title,
    show: false,
    webPreferences: {
      preload,
      additionalArguments,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  };
}

/** A fresh per-launch secret shared only by the shell and its server. */
export async function newSessionToken() {
  const { randomBytes } = await import('node:crypto');
  return randomBytes(32).toString('hex');
}
