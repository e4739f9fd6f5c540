// Update feed trust, offline, with the real sigstore fixture standing in for a signed feed
// file (nothing can be signed here), served from a loopback HTTP server.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NodeHttpExecutor } from 'builder-util/out/nodeHttpExecutor.js';
import {
  FeedRefused, TRUST_DIR, identityPattern, loadFeedTrust, signedTag, verifySignedBytes,
} from '../lib/feedTrust.js';
import {
  channelFileName, checkSignedFeed, feedOptions, feedVersion, fetchVerifiedFeed, updateDecision,
  verifiedProviderClass,
} from '../lib/updateFeed.js';
import { repoDir } from './helpers.js';

const FIXTURE_DIR = path.join(repoDir, 'tests', 'fixtures', 'sigstore');
const ARTIFACT = fs.readFileSync(path.join(FIXTURE_DIR, 'signed-artifact.whl'));
const BUNDLE = fs.readFileSync(path.join(FIXTURE_DIR, 'signed-artifact.whl.sigstore.json'), 'utf8');
// The identity the fixture was signed with: a release workflow run for a tag.
const FIXTURE_IDENTITY = {
  repository: 'trailofbits/rfc8785.py',
  workflow: '.github/workflows/release.yml',
  refPattern: 'refs/tags/v*',
  issuer: 'https://token.actions.githubusercontent.com',
};
const FEED = 'latest-linux.yml';

/** A loopback server for a directory of files; 404 for anything else. */
function serveFiles(files) {
  const server = http.createServer((request, response) => {
    const name = decodeURIComponent(new URL(request.url, 'http://x').pathname.slice(1));
    if (!Object.hasOwn(files, name)) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(files[name]);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/` }));
  });
}

describe('the pinned trust', () => {
  test('ships the release identity and a trust root whose hash matches its pin', () => {
    const trust = loadFeedTrust();
    assert.equal(trust.identity.repository, 'djdesk/djdesk');
    assert.equal(trust.identity.workflow, '.github/workflows/release.yml');
    assert.equal(trust.identity.issuer, 'https://token.actions.githubusercontent.com');
  });

  test('a modified trust root is refused before anything is verified with it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djdesk-trust-'));
    fs.cpSync(TRUST_DIR, dir, { recursive: true });
    const rootFile = path.join(dir, 'sigstore-trusted-root.json');
    fs.writeFileSync(rootFile, fs.readFileSync(rootFile, 'utf8').replace('"mediaType"', ' "mediaType"'));
    assert.throws(() => loadFeedTrust({ dir }), (error) => error.reason === 'trust-root-modified');
  });

  test('the identity pattern pins repository, workflow file and tag refs', () => {
    const pattern = identityPattern({ repository: 'djdesk/djdesk', workflow: '.github/workflows/release.yml',
      refPattern: 'refs/tags/v*' });
    const base = 'https://github.com/djdesk/djdesk/.github/workflows/release.yml';
    assert.ok(pattern.test(`${base}@refs/tags/v1.2.0`));
    assert.ok(!pattern.test(`${base}@refs/heads/main`));
    assert.ok(!pattern.test('https://github.com/djdesk/djdesk/.github/workflows/ci.yml@refs/tags/v1.2.0'));
    assert.ok(!pattern.test('https://github.com/evil/djdesk/.github/workflows/release.yml@refs/tags/v1.2.0'));
    assert.ok(!pattern.test('https://github.com/djdeskXdjdesk/.github/workflows/release.yml@refs/tags/v1'));
    assert.equal(signedTag(`${base}@refs/tags/v1.2.0`), 'v1.2.0');
    assert.equal(signedTag(`${base}@refs/heads/main`), null);
  });
});

describe('a signed feed from a loopback server, verified offline', () => {
  let served;
  const fixtureTrust = loadFeedTrust({ identity: FIXTURE_IDENTITY });
  const tampered = Buffer.from(ARTIFACT);
  tampered[tampered.length - 10] ^= 1;

  before(async () => {
    served = await serveFiles({
      [FEED]: ARTIFACT, [`${FEED}.sigstore.json`]: BUNDLE,
      'tampered/latest-linux.yml': tampered, 'tampered/latest-linux.yml.sigstore.json': BUNDLE,
      'unsigned/latest-linux.yml': ARTIFACT,
      'garbled/latest-linux.yml': ARTIFACT, 'garbled/latest-linux.yml.sigstore.json': '{"mediaType": 1}',
    });
  });
  after(() => served.server.close());

  test('genuine: accepted, with the signer and its tag', async () => {
    const { bytes, signer } = await fetchVerifiedFeed(served.url, FEED, fixtureTrust);
    assert.deepEqual(bytes, ARTIFACT);
    assert.equal(signer.tag, 'v0.1.2');
    assert.equal(signer.subjectAlternativeName,
      'https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2');
  });

  const refusals = [
    ['one changed byte', 'tampered/', FIXTURE_IDENTITY, 'bad-signature'],
    ['no bundle beside the feed', 'unsigned/', FIXTURE_IDENTITY, 'missing-signature'],
    ['a malformed bundle', 'garbled/', FIXTURE_IDENTITY, 'bad-signature'],
    ['signed by another identity (our pinned one)', '', {}, 'wrong-identity'],
    ['another issuer', '', { ...FIXTURE_IDENTITY, issuer: 'https://accounts.google.com' }, 'wrong-issuer'],
    ['another workflow of the same repository', '', { ...FIXTURE_IDENTITY, workflow: '.github/workflows/ci.yml' },
      'wrong-identity'],
  ];
  for (const [name, prefix, identity, reason] of refusals) {
    test(`refused: ${name}`, async () => {
      const trust = loadFeedTrust({ identity });
      await assert.rejects(fetchVerifiedFeed(served.url + prefix, FEED, trust),
        (error) => error instanceof FeedRefused && error.reason === reason);
    });
  }

  test('through electron-updater\'s generic provider: unsigned and mis-signed feeds fail closed', async () => {
    const feedText = 'version: 0.2.0\npath: DJDesk-0.2.0.AppImage\nsha512: abc\nfiles: []\n';
    const mirror = await serveFiles({
      'unsigned/latest-linux.yml': feedText,
      'missigned/latest-linux.yml': feedText, 'missigned/latest-linux.yml.sigstore.json': BUNDLE,
    });
    const refused = [];
    try {
      for (const [dir, reason] of [['unsigned', 'missing-signature'], ['missigned', 'bad-signature']]) {
        const Provider = verifiedProviderClass('generic', { trust: fixtureTrust, currentVersion: '0.1.0',
          onRefused: (error) => refused.push(error.reason) });
        const provider = new Provider({ provider: 'generic', url: `${mirror.url}${dir}/` },
          { channel: null, isAddNoCacheQuery: false },
          { executor: new NodeHttpExecutor(), platform: 'linux', isUseMultipleRangeRequest: false });
        await assert.rejects(provider.getLatestVersion(), (error) => error.reason === reason);
      }
    } finally {
      mirror.server.close();
    }
    assert.deepEqual(refused, ['missing-signature', 'bad-signature']);
  });
});

describe('version rules', () => {
  const signer = (tag) => ({ tag });
  const feed = (version) => `version: ${version}\nfiles:\n  - url: DJDesk-${version}.AppImage\n`;

  test('a newer version is an update, the same is current, an older one a downgrade', () => {
    assert.equal(updateDecision('0.1.0', '0.2.0'), 'update');
    assert.equal(updateDecision('0.1.0', '0.1.0'), 'current');
    assert.equal(updateDecision('0.2.0', '0.1.9'), 'downgrade');
    assert.equal(updateDecision('1.0.0-rc.1', '1.0.0'), 'update');
    assert.throws(() => updateDecision('0.1.0', 'latest'), (error) => error.reason === 'bad-version');
  });

  test('a feed offering a lower version is refused, even when properly signed', () => {
    assert.equal(checkSignedFeed(feed('0.2.0'), signer('v0.2.0'), '0.1.0'), '0.2.0');
    assert.throws(() => checkSignedFeed(feed('0.1.0'), signer('v0.1.0'), '0.2.0'),
      (error) => error.reason === 'downgrade' && /older than the installed 0\.2\.0/.test(error.message));
  });

  test('the signing release must be the release of the offered version', () => {
    assert.throws(() => checkSignedFeed(feed('0.3.0'), signer('v0.2.0'), '0.1.0'),
      (error) => error.reason === 'tag-mismatch');
  });

  test('feed versions and channel file names', () => {
    assert.equal(feedVersion(feed('1.2.3')), '1.2.3');
    assert.equal(feedVersion('not: [valid'), null);
    assert.equal(feedVersion(ARTIFACT), null);
    assert.equal(channelFileName('linux', 'x64'), 'latest-linux.yml');
    assert.equal(channelFileName('linux', 'arm64'), 'latest-linux-arm64.yml');
    assert.equal(channelFileName('darwin', 'arm64'), 'latest-mac.yml');
    assert.equal(channelFileName('win32', 'x64'), 'latest.yml');
  });

  test('verifying needs the bundle', () => {
    assert.throws(() => verifySignedBytes(ARTIFACT, null, loadFeedTrust({ identity: FIXTURE_IDENTITY })),
      (error) => error.reason === 'missing-signature');
  });
});

test('feedOptions: a generic URL when given, else the pinned GitHub repository', () => {
  const trust = { identity: { repository: 'owner/repo' } };
  const generic = feedOptions({ feedUrl: 'http://127.0.0.1:1/feed/', trust, verification: {} });
  assert.equal(generic.provider, 'custom');
  assert.equal(generic.url, 'http://127.0.0.1:1/feed/');
  const github = feedOptions({ feedUrl: '', trust, verification: {} });
  assert.deepEqual([github.owner, github.repo], ['owner', 'repo']);
  assert.equal(typeof github.updateProvider, 'function');
});
