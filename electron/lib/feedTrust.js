// Who may publish updates, and the offline check that they did: a sigstore bundle beside
// each update feed file, verified against a trust root shipped in the app (no network).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

export const TRUST_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'trust');

/** Why a feed was not trusted; `reason` is stable (UI, log, tests), `message` is for people. */
export class FeedRefused extends Error {
  constructor(reason, message) {
    super(message);
    this.name = 'FeedRefused';
    this.reason = reason;
  }
}

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The certificate identity a GitHub Actions workflow gets: URL of the workflow file @ ref. */
export function identityPattern({ repository, workflow, refPattern }) {
  const ref = refPattern.split('*').map(escapeRegExp).join('[^\\s@]+');
  return new RegExp(`^https://github\\.com/${escapeRegExp(repository)}/${escapeRegExp(workflow)}@${ref}$`);
}

/** The tag a signing identity was issued for (`refs/tags/v1.2.3` -> `v1.2.3`), or null. */
export function signedTag(subjectAlternativeName) {
  const match = /@refs\/tags\/([^\s@]+)$/.exec(subjectAlternativeName || '');
  return match ? match[1] : null;
}

/**
 * Read the pinned trust file: the release identity and the sigstore trust root, whose
 * sha256 must match the pin (a modified root would let anyone sign).
 * `identity` overrides the pinned identity (tests, private forks); `trustedRoot` (a
 * TrustedRoot refreshed through TUF, lib/trustRoot.js) replaces the shipped root.
 */
export function loadFeedTrust({ dir = TRUST_DIR, file = 'release-trust.json', identity, trustedRoot: current } = {}) {
  const pins = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  const rootBytes = fs.readFileSync(path.join(dir, pins.trustedRoot.file));
  const digest = crypto.createHash('sha256').update(rootBytes).digest('hex');
  if (digest !== pins.trustedRoot.sha256) {
    throw new FeedRefused('trust-root-modified',
      `the shipped sigstore trust root ${pins.trustedRoot.file} has sha256 ${digest}, `
      + `not the pinned ${pins.trustedRoot.sha256}`);
  }
  const trustedRoot = current || TrustedRoot.fromJSON(JSON.parse(rootBytes.toString('utf8')));
  return {
    identity: { ...pins.releaseIdentity, ...identity },
    verifier: new Verifier(toTrustMaterial(trustedRoot)),
    trustRootSource: current ? 'tuf' : 'shipped',
  };
}

/** loadFeedTrust with the trust root refreshed through TUF when possible (see trustRoot.js). */
export async function loadRefreshedFeedTrust({ refresh, ...options } = {}) {
  const { refreshTrustedRoot } = await import('./trustRoot.js');
  const trustedRoot = refresh ? await refreshTrustedRoot(refresh) : null;
  return loadFeedTrust({ ...options, trustedRoot });
}

/**
 * Verify `bytes` against the sigstore bundle (parsed JSON or text) offline: signature,
 * certificate chain, transparency-log inclusion, then the pinned issuer and identity.
 * Returns the signer's identity; throws FeedRefused otherwise.
 */
export function verifySignedBytes(bytes, bundleJson, trust) {
  if (bundleJson == null) {
    throw new FeedRefused('missing-signature', 'the update feed has no sigstore bundle beside it');
  }
  let entity;
  try {
    const parsed = typeof bundleJson === 'string' ? JSON.parse(bundleJson) : bundleJson;
    entity = toSignedEntity(bundleFromJSON(parsed), Buffer.from(bytes));
  } catch (error) {
    throw new FeedRefused('bad-signature', `the update feed's sigstore bundle is malformed: ${error.message}`);
  }
  let signer;
  try {
    signer = trust.verifier.verify(entity);
  } catch (error) {
    throw new FeedRefused('bad-signature',
      `the update feed does not match its signature (${error.code || error.name}: ${error.message})`);
  }
  const { subjectAlternativeName: san = '', extensions = {} } = signer.identity || {};
  if (extensions.issuer !== trust.identity.issuer) {
    throw new FeedRefused('wrong-issuer',
      `the update feed was signed with an identity from ${extensions.issuer}, not ${trust.identity.issuer}`);
  }
  if (!identityPattern(trust.identity).test(san)) {
    throw new FeedRefused('wrong-identity',
      `the update feed was signed by ${san}, not by ${trust.identity.repository}'s `
      + `${trust.identity.workflow} on ${trust.identity.refPattern}`);
  }
  return { subjectAlternativeName: san, issuer: extensions.issuer, tag: signedTag(san) };
}
