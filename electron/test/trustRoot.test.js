// The trust root moves through TUF: a local TUF repository (built with @tufjs/repo-mock's
// keys and metadata models, served by a real loopback HTTP server) rotates its signing key
// and publishes a new sigstore trusted root; the shell follows it, refuses metadata signed
// by the retired key, and falls back to the shipped root offline.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TRUST_DIR, loadRefreshedFeedTrust } from '../lib/feedTrust.js';
import { refreshTrustedRoot } from '../lib/trustRoot.js';

const require = createRequire(import.meta.url);
const { KeyPair } = require('@tufjs/repo-mock/dist/key.js');
const { Metadata, MetaFile, Root, Snapshot, TargetFile, Targets, Timestamp } = require('@tufjs/models');

const SHIPPED = JSON.parse(fs.readFileSync(path.join(TRUST_DIR, 'sigstore-trusted-root.json'), 'utf8'));
// Two versions of sigstore's trusted root: the shipped one, then one with a log shard less
// (what a rotation looks like to the verifier: different keys and logs).
const ROOT_V1 = JSON.stringify(SHIPPED);
const ROOT_V2 = JSON.stringify({ ...SHIPPED, tlogs: SHIPPED.tlogs.slice(0, -1) });
const expires = new Date(Date.now() + 365 * 86400_000).toISOString();
const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');

/** One consistent set of TUF metadata (version n) for a trusted_root.json, signed by `key`. */
function publish(files, n, key, rootMeta, content) {
  const targets = new Metadata(new Targets({ version: n, specVersion: '1.0.0', expires }));
  targets.signed.addTarget(new TargetFile({ path: 'trusted_root.json', length: Buffer.byteLength(content),
    hashes: { sha256: sha256(content) } }));
  targets.sign((data) => key.sign(data));
  const targetsJSON = JSON.stringify(targets.toJSON());
  const snapshot = new Metadata(new Snapshot({ version: n, specVersion: '1.0.0', expires,
    meta: { 'targets.json': new MetaFile({ version: n }) } }));
  snapshot.sign((data) => key.sign(data));
  const snapshotJSON = JSON.stringify(snapshot.toJSON());
  const timestamp = new Metadata(new Timestamp({ version: n, specVersion: '1.0.0', expires,
    snapshotMeta: new MetaFile({ version: n, length: Buffer.byteLength(snapshotJSON),
      hashes: { sha256: sha256(snapshotJSON) } }) }));
  timestamp.sign((data) => key.sign(data));
  Object.assign(files, {
    '/timestamp.json': JSON.stringify(timestamp.toJSON()),
    '/snapshot.json': snapshotJSON,
    '/targets.json': targetsJSON,
    '/targets/trusted_root.json': content,
    [`/${rootMeta.signed.version}.root.json`]: JSON.stringify(rootMeta.toJSON()),
  });
}

function rootFor(version, key, signers) {
  const root = new Metadata(new Root({ version, specVersion: '1.0.0', expires, consistentSnapshot: false }));
  for (const role of ['root', 'snapshot', 'targets', 'timestamp']) root.signed.addKey(key.publicKey, role);
  for (const signer of signers) root.sign((data) => signer.sign(data), true);
  return root;
}

let server;
let mirrorURL;
const files = {};
const oldKey = new KeyPair();
const newKey = new KeyPair();
const rootV1 = rootFor(1, oldKey, [oldKey]);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'djdesk-tuf-'));
const bootstrap = path.join(tmp, 'root.json'); // the TUF root an app would ship
fs.writeFileSync(bootstrap, JSON.stringify(rootV1.toJSON()));

before(async () => {
  server = http.createServer((request, response) => {
    const body = files[new URL(request.url, 'http://x').pathname];
    response.writeHead(body === undefined ? 404 : 200).end(body ?? '');
  });
  await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
  mirrorURL = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());

test('the trust root follows a key rotation and refuses the retired key', async () => {
  const cacheDir = path.join(tmp, 'cache');
  const refresh = () => refreshTrustedRoot({ cacheDir, mirrorURL, tufRootPath: bootstrap, timeoutMs: 2000});

  publish(files, 1, oldKey, rootV1, ROOT_V1);
  assert.equal((await refresh()).tlogs.length, SHIPPED.tlogs.length);

  // Rotation: root v2 hands every role to the new key, signed by the old and the new key.
  publish(files, 2, newKey, rootFor(2, newKey, [oldKey, newKey]), ROOT_V2);
  const rotated = await refresh();
  assert.equal(rotated.tlogs.length, SHIPPED.tlogs.length - 1);

  // After the rotation, metadata signed by the retired key is refused: no refreshed root.
  const logged = [];
  publish(files, 3, oldKey, rootFor(2, newKey, [oldKey, newKey]), ROOT_V1);
  assert.equal(await refreshTrustedRoot({ cacheDir, mirrorURL, tufRootPath: bootstrap, timeoutMs: 2000,
    log: (line) => logged.push(line) }), null);
  assert.match(logged[0], /TUF refresh from .* failed/);
});

test('a root that does not chain to the bootstrap is refused', async () => {
  const stranger = new KeyPair();
  const otherFiles = {};
  publish(otherFiles, 1, stranger, rootFor(1, stranger, [stranger]), ROOT_V2);
  Object.assign(files, otherFiles); // the mirror now serves someone else's repository
  const trust = await loadRefreshedFeedTrust({ refresh: { cacheDir: path.join(tmp, 'fresh'), mirrorURL,
    tufRootPath: bootstrap, timeoutMs: 2000 } });
  assert.equal(trust.trustRootSource, 'shipped');
});

test('offline: the shipped root is used', async () => {
  const trust = await loadRefreshedFeedTrust({ refresh: { cacheDir: path.join(tmp, 'offline'),
    mirrorURL: 'http://127.0.0.1:9/', tufRootPath: bootstrap, timeoutMs: 500 } });
  assert.equal(trust.trustRootSource, 'shipped');
  assert.equal(trust.identity.repository, 'djdesk/djdesk');
});

test('refreshed through TUF, the verifier uses the new root', async () => {
  publish(files, 4, newKey, rootFor(2, newKey, [oldKey, newKey]), ROOT_V1);
  const trust = await loadRefreshedFeedTrust({ refresh: { cacheDir: path.join(tmp, 'cache'), mirrorURL,
    tufRootPath: bootstrap, timeoutMs: 2000 } });
  assert.equal(trust.trustRootSource, 'tuf');
});
