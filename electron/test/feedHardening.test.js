// Issue 27's shell cases: what a signed feed may point at, which requests must be signed,
// feeds without a version, the permission request handler's origin, and openExternal for
// this machine's other services.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NodeHttpExecutor } from 'builder-util/out/nodeHttpExecutor.js';
import { FeedRefused } from '../lib/feedTrust.js';
import { isSafeExternalUrl, navigationDecision, permissionRequestAllowed } from '../lib/security.js';
import { checkSignedFeed, verifyingExecutor } from '../lib/updateFeed.js';
import { electronDir } from './helpers.js';

const signer = { tag: 'v0.2.0' };
const FEED_URL = new URL('https://github.com/djdesk/djdesk/releases/download/v0.2.0/latest-linux.yml');
const feed = ({ url = 'DJDesk-0.2.0-linux-x86_64.AppImage', extra = '' } = {}) =>
  `version: 0.2.0\nfiles:\n  - url: ${JSON.stringify(url)}\n    sha512: abc\n${extra}`;
const refusedAs = (reason) => (error) => error instanceof FeedRefused && error.reason === reason;

describe('a signed feed names only files of its own release', () => {
  test('plain names and absolute URLs beside the feed are accepted', () => {
    assert.equal(checkSignedFeed(feed({ extra: 'path: DJDesk-0.2.0-linux-x86_64.AppImage\n' }), signer, '0.1.0',
      FEED_URL), '0.2.0');
    assert.equal(checkSignedFeed(feed({ url: new URL('DJDesk-0.2.0.AppImage', FEED_URL).href }), signer, '0.1.0',
      FEED_URL), '0.2.0');
    assert.equal(checkSignedFeed(feed({ url: 'DJDesk Setup 0.2.0.exe' }), signer, '0.1.0', FEED_URL), '0.2.0');
  });

  const elsewhere = [
    '../../etc/x', '/etc/x', 'sub/DJDesk.AppImage', '..\\..\\x', '%2e%2e%2fx', '..', '.', '',
    'https://evil.example/DJDesk-0.2.0.AppImage',
    'https://github.com/evil/djdesk/releases/download/v0.2.0/DJDesk-0.2.0.AppImage',
    'https://github.com/djdesk/djdesk/releases/download/v0.2.0/../v0.1.0/DJDesk-0.1.0.AppImage',
    'https://github.com/djdesk/djdesk/releases/download/v0.2.0/x?y=1',
    'https://user@github.com/djdesk/djdesk/releases/download/v0.2.0/x',
    'http://github.com/djdesk/djdesk/releases/download/v0.2.0/DJDesk-0.2.0.AppImage',
    'file:///etc/passwd', 'C:evil.exe', '//evil.example/x',
  ];
  for (const url of elsewhere) {
    test(`refused: files[].url ${JSON.stringify(url)}`, () => {
      assert.throws(() => checkSignedFeed(feed({ url }), signer, '0.1.0', FEED_URL), refusedAs('bad-file'));
    });
  }

  test('refused: `path`, `packages.*.path`, files without a url, malformed lists, no file at all', () => {
    const cases = [
      feed({ extra: 'path: ../../etc/x\n' }),
      feed({ extra: 'packages:\n  x64:\n    path: https://evil.example/x.7z\n' }),
      feed({ extra: 'packages: oops\n' }),
      'version: 0.2.0\nfiles:\n  - sha512: abc\n',
      'version: 0.2.0\nfiles: DJDesk.AppImage\n',
      'version: 0.2.0\nfiles: []\n',
      'version: 0.2.0\n',
    ];
    for (const text of cases) {
      assert.throws(() => checkSignedFeed(text, signer, '0.1.0', FEED_URL), refusedAs('bad-file'), text);
    }
  });
});

describe('a signed feed needs a version string', () => {
  const texts = [
    'files:\n  - url: DJDesk.AppImage\n', // no version
    'version: 1\nfiles:\n  - url: DJDesk.AppImage\n', // a number
    'version: [0, 2, 0]\nfiles:\n  - url: DJDesk.AppImage\n',
    'version: null\nfiles:\n  - url: DJDesk.AppImage\n',
    'version: "0.2"\nfiles:\n  - url: DJDesk.AppImage\n', // not SemVer
  ];
  for (const text of texts) {
    test(`refused: ${JSON.stringify(text.split('\n')[0])}`, () => {
      assert.throws(() => checkSignedFeed(text, signer, '0.9.0'), refusedAs('bad-version'));
    });
  }

  test('refused: signed bytes that are no feed at all', () => {
    for (const text of ['just text', '- a\n- list\n', '', 'not: [valid']) {
      assert.throws(() => checkSignedFeed(text, signer, '0.1.0'), refusedAs('not-a-feed'), text);
    }
  });
});

describe('every request of the updater but GitHub\'s release index must be signed', () => {
  const FEED_TEXT = feed();
  let server;
  let port;
  const requested = [];

  before(async () => {
    // Answers every path with the same unsigned feed; no bundle anywhere.
    server = http.createServer((request, response) => {
      requested.push(request.url);
      if (request.url.includes('.sigstore.json')) response.writeHead(404).end('not found');
      else response.writeHead(200, { 'content-type': 'text/plain' }).end(FEED_TEXT);
    });
    await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
    port = server.address().port;
  });
  after(() => server.close());

  const request = (pathName, refused = []) => {
    const executor = verifyingExecutor(new NodeHttpExecutor(), {
      trust: { verifier: null, identity: {} }, currentVersion: '0.1.0', onRefused: (error) => refused.push(error.reason),
    });
    return executor.request({ protocol: 'http:', hostname: '127.0.0.1', port, path: pathName, headers: {} });
  };

  const feedPaths = [
    '/latest-linux.YML', '/latest-linux.yaml', '/latest-linux.Yaml', '/latest-linux%2eyml', '/latest-linux%2Eyml',
    '/latest-linux.yml/', '/latest-linux', '/o/r/releases/download/v1?x=/latest-linux.yml',
    '/o/r/releases.atom?x=1', '/o/r/releases/latest/latest.yml', '/%E0%A4%A',
  ];
  for (const pathName of feedPaths) {
    test(`unsigned, refused: ${pathName}`, async () => {
      const refused = [];
      await assert.rejects(request(pathName, refused), refusedAs('missing-signature'));
      assert.deepEqual(refused, ['missing-signature']);
    });
  }

  test('GitHub\'s release index (which release; its feed is then verified) is read as it is', async () => {
    assert.equal(await request('/djdesk/djdesk/releases.atom'), FEED_TEXT);
    assert.equal(await request('/djdesk/djdesk/releases/latest'), FEED_TEXT);
    assert.equal(await request('/api/v3/repos/djdesk/djdesk/releases/latest'), FEED_TEXT);
  });
});

describe('permissions are requested by the app\'s origin only', () => {
  const ORIGIN = 'http://127.0.0.1:5123';

  test('the request handler looks at the requesting URL', () => {
    assert.equal(permissionRequestAllowed('notifications', { requestingUrl: `${ORIGIN}/x/` }, ORIGIN), true);
    for (const requestingUrl of ['https://evil.example/', 'http://127.0.0.1:5124/', 'http://localhost:5123/',
      'https://127.0.0.1:5123/', 'http://127.0.0.1:5123@evil.example/', 'data:text/html,x', '', undefined]) {
      assert.equal(permissionRequestAllowed('notifications', { requestingUrl }, ORIGIN), false, requestingUrl);
    }
    assert.equal(permissionRequestAllowed('notifications', undefined, ORIGIN), false);
    assert.equal(permissionRequestAllowed('notifications', { requestingUrl: `${ORIGIN}/` }, null), false);
    assert.equal(permissionRequestAllowed('media', { requestingUrl: `${ORIGIN}/` }, ORIGIN), false);
  });

  test('main.js passes the request\'s details and the app origin', () => {
    const main = fs.readFileSync(path.join(electronDir, 'main.js'), 'utf8');
    assert.match(main, /setPermissionRequestHandler\(\(_wc, permission, callback, details\) =>\s*callback\(permissionRequestAllowed\(permission, details, appOrigin\)\)\)/);
  });
});

describe('openExternal refuses this machine\'s addresses', () => {
  const local = [
    'http://127.0.0.1:5123/', 'http://127.0.0.1:8080/admin/', 'https://127.0.0.1/', 'http://127.1/',
    'http://0x7f.0.0.1/', 'http://2130706433/', 'http://127.9.9.9/', 'http://localhost:5432/',
    'http://LOCALHOST./', 'http://app.localhost/', 'http://[::1]:8000/', 'http://[0:0:0:0:0:0:0:1]/',
    'http://[::ffff:127.0.0.1]/', 'http://0.0.0.0:8000/', 'http://[::]/', 'http://169.254.169.254/latest/',
    'http://[fe80::1]/',
  ];
  for (const url of local) {
    test(`refused: ${url}`, () => {
      assert.equal(isSafeExternalUrl(url), false);
      assert.equal(navigationDecision(url, 'http://127.0.0.1:5123'), url === 'http://127.0.0.1:5123/' ? 'allow' : 'deny');
    });
  }

  test('web hosts (and hosts that only look local) still open', () => {
    for (const url of ['https://example.com/', 'http://10.0.0.1/', 'http://localhost.example.com/',
      'http://127.0.0.1.example.com/', 'http://[2001:db8::1]/']) {
      assert.equal(isSafeExternalUrl(url), true, url);
    }
  });
});
