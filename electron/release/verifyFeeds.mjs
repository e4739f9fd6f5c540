// Before publishing: verify every update feed (latest*.yml) of a release directory with
// its sigstore bundle exactly as an installed app will — the shell's own verifier
// (lib/feedTrust.js, lib/updateFeed.js) and the trust root the app ships (trust/).
//
//   node release/verifyFeeds.mjs RELEASE_DIR [--tag vX.Y.Z] [--identity FILE.json]
//
// --identity overrides the pinned release identity (the rehearsal uses the test fixture's).
// Prints one line per feed; exits 1 when any feed would be refused.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { FeedRefused, loadFeedTrust, verifySignedBytes } from '../lib/feedTrust.js';
import { BUNDLE_SUFFIX, checkSignedFeed } from '../lib/updateFeed.js';

/** [{feed, ok, signer?, reason?, message?}] for each latest*.yml in `dir` (signer: when the signature verified). */
export function verifyReleaseFeeds(dir, { tag = null, identity, trustDir } = {}) {
  const trust = loadFeedTrust({ identity, ...(trustDir ? { dir: trustDir } : {}) });
  const feeds = fs.readdirSync(dir).filter((name) => /^latest.*\.yml$/.test(name)).sort();
  if (!feeds.length) return [{ feed: '(none)', ok: false, reason: 'missing-feed', message: `no latest*.yml in ${dir}` }];
  return feeds.map((feed) => {
    const bytes = fs.readFileSync(path.join(dir, feed));
    const bundleFile = path.join(dir, feed + BUNDLE_SUFFIX);
    const bundle = fs.existsSync(bundleFile) ? fs.readFileSync(bundleFile, 'utf8') : null;
    let signer;
    try {
      signer = verifySignedBytes(bytes, bundle, trust);
      if (tag && signer.tag !== tag) {
        throw new FeedRefused('tag-mismatch', `${feed} was signed for ${signer.tag}, not ${tag}`);
      }
      // The same checks an installed app makes (a feed, the tag the workflow ran for = its
      // version, files of its own release); any installed version is older than this one.
      checkSignedFeed(bytes.toString('utf8'), signer, '0.0.0');
      return { feed, ok: true, signer };
    } catch (error) {
      if (!(error instanceof FeedRefused)) throw error;
      return { feed, ok: false, reason: error.reason, message: error.message, signer };
    }
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true, options: { tag: { type: 'string' }, identity: { type: 'string' } },
  });
  if (positionals.length !== 1) {
    process.stderr.write('usage: node release/verifyFeeds.mjs RELEASE_DIR [--tag vX.Y.Z] [--identity FILE]\n');
    process.exit(2);
  }
  const identity = values.identity ? JSON.parse(fs.readFileSync(values.identity, 'utf8')) : undefined;
  const results = verifyReleaseFeeds(positionals[0], { tag: values.tag, identity });
  for (const result of results) {
    if (result.ok) process.stdout.write(`${result.feed}: signed by ${result.signer.subjectAlternativeName}\n`);
    else {
      const signed = result.signer ? ` (its signature is valid: ${result.signer.subjectAlternativeName})` : '';
      process.stderr.write(`error: ${result.feed}: refused (${result.reason}): ${result.message}${signed}\n`);
    }
  }
  process.exit(results.every((result) => result.ok) ? 0 : 1);
}
