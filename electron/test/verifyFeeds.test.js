// The pre-publish feed check (release/verifyFeeds.mjs): the shell's own verifier and shipped
// trust root over a release directory, with the real sigstore fixture standing in for a feed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { verifyReleaseFeeds } from '../release/verifyFeeds.mjs';
import { electronDir, repoDir } from './helpers.js';

const FIXTURE = path.join(repoDir, 'tests', 'fixtures', 'sigstore', 'signed-artifact.whl');
const FIXTURE_IDENTITY = { repository: 'trailofbits/rfc8785.py' };

function release(files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djdesk-release-'));
  for (const [name, source] of Object.entries(files)) fs.copyFileSync(source, path.join(dir, name));
  return dir;
}

const signed = () => release({
  'latest-linux.yml': FIXTURE, 'latest-linux.yml.sigstore.json': `${FIXTURE}.sigstore.json`,
});

test('a file signed by the expected identity: its signer and tag, then refused as no feed', () => {
  // Nothing can sign a feed here: the fixture is a signed wheel, and a signed file that is
  // not a feed is refused too (issue 27: a feed without a version skipped every check).
  const [result] = verifyReleaseFeeds(signed(), { identity: FIXTURE_IDENTITY, tag: 'v0.1.2' });
  assert.equal(result.ok, false);
  assert.equal(result.reason, 'not-a-feed');
  assert.equal(result.signer.tag, 'v0.1.2');
});

test('refused as an installed app would: wrong identity, unsigned, tampered, other tag', () => {
  assert.equal(verifyReleaseFeeds(signed())[0].reason, 'wrong-identity'); // the pinned djdesk identity
  const unsigned = release({ 'latest-mac.yml': FIXTURE });
  assert.equal(verifyReleaseFeeds(unsigned, { identity: FIXTURE_IDENTITY })[0].reason, 'missing-signature');
  const tampered = signed();
  fs.appendFileSync(path.join(tampered, 'latest-linux.yml'), 'x');
  assert.equal(verifyReleaseFeeds(tampered, { identity: FIXTURE_IDENTITY })[0].reason, 'bad-signature');
  assert.equal(verifyReleaseFeeds(signed(), { identity: FIXTURE_IDENTITY, tag: 'v9.9.9' })[0].reason,
    'tag-mismatch');
  const none = release({});
  assert.equal(verifyReleaseFeeds(none)[0].reason, 'missing-feed');
});

test('the command line exits 1 on a refused feed, saying when its signature was valid', () => {
  const identityFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'djdesk-id-')), 'identity.json');
  fs.writeFileSync(identityFile, JSON.stringify(FIXTURE_IDENTITY));
  const script = path.join(electronDir, 'release', 'verifyFeeds.mjs');
  const genuine = spawnSync(process.execPath, [script, signed(), '--identity', identityFile], { encoding: 'utf8' });
  assert.equal(genuine.status, 1);
  assert.match(genuine.stderr,
    /refused \(not-a-feed\): .*\(its signature is valid: https:\/\/github\.com\/trailofbits/);
  const refused = spawnSync(process.execPath, [script, signed()], { encoding: 'utf8' });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /refused \(wrong-identity\)/);
});
