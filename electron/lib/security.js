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

// Hosts that are this machine, whatever the port: the app's own server and every other
// local service (a database's admin page, a dev server, another app's API) are not for the
// default browser. WHATWG URLs have already normalised 127.1, 0x7f.0.0.1 and 2130706433.
const LOCAL_IPV4 = /^(127|0)\.\d+\.\d+\.\d+$|^169\.254\.\d+\.\d+$/;
const LOCAL_IPV6 = /^\[(::1?|::ffff:(127|0)\.[\d.]+|::ffff:(7f|0)[0-9a-f]{0,2}:[0-9a-f]{1,4}|fe[89ab][0-9a-f]:.*)\]$/i;

/** Is this URL hostname this machine (loopback, unspecified or link-local)? */
export function isLocalHostname(hostname) {
  const host = String(hostname).toLowerCase().replace(/\.+$/, '');
  return host === 'localhost' || host.endsWith('.localhost') || LOCAL_IPV4.test(host) || LOCAL_IPV6.test(host);
}

/**
 * Only http(s) URLs with a host go to the default browser: no file:, javascript:, custom
 * schemes, credentials, and no address of this machine (loopback, the app's own origin).
 */
export function isSafeExternalUrl(raw) {
  let url;
  try {
    url = new URL(String(raw));
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== ''
    && url.username === '' && url.password === '' && !isLocalHostname(url.hostname);
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

/**
 * Is `url` on the app's own server? Origins are compared (scheme, host and port), never
 * string prefixes: `http://127.0.0.1:5123@evil.example/` and `http://127.0.0.1:51234/`
 * both start with `http://127.0.0.1:5123` and are other servers.
 */
export function isAppUrl(url, appOrigin) {
  if (!appOrigin) return false;
  try {
    return new URL(String(url)).origin === new URL(appOrigin).origin;
  } catch {
    return false;
  }
}

export function permissionAllowed(permission) {
  return permission === 'notifications';
}

/**
 * setPermissionRequestHandler: a permission the app may request, requested by a frame of the
 * app's origin (`details.requestingUrl`); a page of another origin (a frame, a redirect
 * target) gets nothing.
 */
export function permissionRequestAllowed(permission, details, appOrigin) {
  const requestingUrl = details && typeof details === 'object' ? details.requestingUrl : null;
  return permissionAllowed(permission) && isAppUrl(requestingUrl, appOrigin);
}

/**
 * setPermissionCheckHandler: the synchronous checks (e.g. `Notification.permission`, media
 * device enumeration) Chromium makes without a request; only the app's origin may use the
 * permissions it may request.
 */
export function permissionCheckAllowed(permission, requestingOrigin, appOrigin) {
  return permissionAllowed(permission) && isAppUrl(requestingOrigin, appOrigin);
}

/** A notification from the renderer as plain strings, or null when it is not one. */
export function notificationOptions(message) {
  if (!message || typeof message !== 'object') return null;
  const title = typeof message.title === 'string' ? message.title.slice(0, 200) : '';
  if (!title) return null;
  const body = typeof message.body === 'string' ? message.body.slice(0, 2000) : '';
  return { title, body };
}

/** BrowserWindow options: the renderer is untrusted. */
export function windowOptions({ preload, title, additionalArguments = [] }) {
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
