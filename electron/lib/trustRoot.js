// A sigstore trust root that can move. sigstore publishes its trusted root (keys, log
// shards, CAs) through TUF; when it rotates a key or opens a new log shard, an app whose
// root is fixed at install time would refuse every later update, including the fix. So
// the shell asks sigstore's TUF repository for the current root first (@sigstore/tuf: the
// TUF root that ships inside the package is the bootstrap, each newer root must be signed
// by the previous one's keys), caches it, and falls back to the root shipped in the app
// (trust/sigstore-trusted-root.json, pinned) when that fails (offline, a broken or
// malicious mirror): never less than the shipped trust, never an unverified one.
import { DEFAULT_MIRROR_URL, getTrustedRoot } from '@sigstore/tuf';

export { DEFAULT_MIRROR_URL };

/**
 * The current trusted root through TUF, or null (with the reason in `log`) when it cannot
 * be had. `tufRootPath` replaces the bootstrap TUF root (tests, private sigstore).
 */
export async function refreshTrustedRoot({
  cacheDir, mirrorURL = DEFAULT_MIRROR_URL, tufRootPath, timeoutMs = 5000, log = () => {},
}) {
  try {
    return await getTrustedRoot({
      cachePath: cacheDir, mirrorURL, rootPath: tufRootPath, timeout: timeoutMs, retry: { retries: 1 },
    });
  } catch (error) {
    const cause = error.cause ? ` <- ${error.cause.message}` : '';
    log(`sigstore trust root: TUF refresh from ${mirrorURL} failed (${error.code || error.name}: `
      + `${error.message}${cause}); using the root shipped with the app`);
    return null;
  }
}
