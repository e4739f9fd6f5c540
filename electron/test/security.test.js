import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CONTENT_SECURITY_POLICY, isSafeExternalUrl, navigationDecision, newSessionToken, permissionAllowed,
  windowOptions,
} from '../lib/security.js';

const urls = [
  ['https://docs.djangoproject.com/en/5.2/', true],
  ['http://example.com/path?q=1', true],
  ['HTTPS://EXAMPLE.COM', true],
  ['file:///etc/passwd', false],
  ['javascript:alert(1)', false],
  ['data:text/html,<script>1</script>', false],
  ['vbscript:msgbox', false],
  ['djdesk://internal', false],
  ['smb://server/share', false],
  ['https://user:pass@example.com/', false],
  ['http://', false],
  ['not a url', false],
  ['', false],
];

for (const [url, safe] of urls) {
  test(`openExternal ${safe ? 'allows' : 'refuses'} ${JSON.stringify(url)}`, () => {
    assert.equal(isSafeExternalUrl(url), safe);
  });
}

test('navigation stays on the local origin', () => {
  const origin = 'http://127.0.0.1:51234';
  assert.equal(navigationDecision('http://127.0.0.1:51234/workspaces/x/', origin), 'allow');
  // Other local services are not for the browser either (issue 27).
  assert.equal(navigationDecision('http://127.0.0.1:9999/', origin), 'deny');
  assert.equal(navigationDecision('http://localhost:51234/', origin), 'deny');
  assert.equal(navigationDecision('https://docs.djangoproject.com/', origin), 'external');
  assert.equal(navigationDecision('file:///etc/passwd', origin), 'deny');
  assert.equal(navigationDecision('javascript:alert(1)', origin), 'deny');
  assert.equal(navigationDecision('garbage', origin), 'deny');
  assert.equal(navigationDecision('http://127.0.0.1:51234/', null), 'deny');
});

test('the renderer is isolated and sandboxed', () => {
  const { webPreferences } = windowOptions({ preload: '/x/preload.cjs' });
  assert.equal(webPreferences.contextIsolation, true);
  assert.equal(webPreferences.sandbox, true);
  assert.equal(webPreferences.nodeIntegration, false);
  assert.equal(webPreferences.webSecurity, true);
  assert.equal(webPreferences.preload, '/x/preload.cjs');
  assert.equal('enableRemoteModule' in webPreferences, false);
});

test('only notifications may be granted', () => {
  assert.equal(permissionAllowed('notifications'), true);
  for (const p of ['media', 'geolocation', 'clipboard-read', 'openExternal', 'fullscreen']) {
    assert.equal(permissionAllowed(p), false);
  }
});

test('the CSP forbids inline script and foreign origins', () => {
  assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval|\*/);
  assert.match(CONTENT_SECURITY_POLICY, /frame-ancestors 'none'/);
});

test('session tokens are long and fresh', async () => {
  const [a, b] = [await newSessionToken(), await newSessionToken()];
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.notEqual(a, b);
});
