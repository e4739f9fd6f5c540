// The update feed (electron-builder's latest*.yml) is trusted only when signed by the
// release workflow; a feed offering an older version is refused. The check sits in the
// HTTP layer electron-updater's providers use, so the bytes it parses are the bytes verified.
import { createRequire } from 'node:module';
import yaml from 'js-yaml';
import semver from 'semver';
import { FeedRefused, verifySignedBytes } from './feedTrust.js';

const require = createRequire(import.meta.url);

export const BUNDLE_SUFFIX = '.sigstore.json';

/** The feed file electron-builder writes for a platform and architecture. */
export function channelFileName(platform = process.platform, arch = process.arch, channel = 'latest') {
  if (platform === 'darwin') return `${channel}-mac.yml`;
  if (platform === 'linux') return `${channel}-linux${arch === 'x64' ? '' : `-${arch}`}.yml`;
  return `${channel}.yml`;
}

/** The feed as data (a YAML mapping), or null when the text is not one. */
function parseFeed(text) {
  let data;
  try {
    data = yaml.load(String(text));
  } catch {
    return null;
  }
  return data && typeof data === 'object' && !Array.isArray(data) ? data : null;
}

/** The version a feed offers, or null when the text is not a feed with a valid version. */
export function feedVersion(text) {
  const data = parseFeed(text);
  const version = data ? data.version : null;
  return typeof version === 'string' && semver.valid(version) ? version : null;
}

/** 'update', 'current' or 'downgrade' (never installed): what a feed version means for us. */
export function updateDecision(currentVersion, offeredVersion) {
  if (!semver.valid(offeredVersion)) {
    throw new FeedRefused('bad-version', `the update feed offers an invalid version ${JSON.stringify(offeredVersion)}`);
  }
  if (semver.gt(offeredVersion, currentVersion)) return 'update';
  return semver.eq(offeredVersion, currentVersion) ? 'current' : 'downgrade';
}

// A release file's name as electron-builder writes it: no separators, no escapes, no scheme,
// no dot first (so neither `.` nor `..`): resolved against the feed's URL it stays beside it.
const RELEASE_FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._+~ -]{0,254}$/;

/** The directory of a URL (origin and path up to the last `/`), for "beside the feed". */
function directoryOf(url) {
  return url.origin + url.pathname.slice(0, url.pathname.lastIndexOf('/') + 1);
}

/**
 * Is `name` (a feed's `files[].url`, `path` or `packages.*.path`) a file of this release:
 * a plain file name, or an absolute URL in the feed's own directory on its own origin?
 */
export function isReleaseFile(name, feedUrl) {
  if (typeof name !== 'string') return false;
  if (RELEASE_FILE_NAME.test(name)) return true;
  if (!feedUrl || !/^https?:\/\//i.test(name)) return false;
  let url;
  try {
    url = new URL(name);
  } catch {
    return false;
  }
  const feed = new URL(String(feedUrl));
  const fileName = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
  return url.username === '' && url.password === '' && url.search === '' && url.hash === ''
    && directoryOf(url) === directoryOf(feed) && RELEASE_FILE_NAME.test(fileName);
}

/** Every file name a feed points the updater at (electron-updater's getFileList and packages). */
function feedFileNames(data) {
  const refused = (message) => new FeedRefused('bad-file', `the update feed ${message}`);
  if (data.files !== undefined && !Array.isArray(data.files)) throw refused('has `files` that is not a list');
  const names = (data.files || []).map((entry) => (entry && typeof entry === 'object' ? entry.url : entry));
  if (data.path !== undefined) names.push(data.path);
  if (data.packages != null) {
    if (typeof data.packages !== 'object') throw refused('has `packages` that is not a mapping');
    names.push(...Object.values(data.packages).map((entry) => (entry && typeof entry === 'object' ? entry.path : entry)));
  }
  if (!names.length) throw refused('names no file to download');
  return names;
}

/**
 * The checks on top of the signature (a signed file is not yet a good feed): it is a feed
 * with a string version; the release tag the signing workflow ran for is that version; the
 * version is not lower than ours; and every file it names is a file of that release.
 */
export function checkSignedFeed(text, signer, currentVersion, feedUrl = null) {
  const data = parseFeed(text);
  if (data === null) throw new FeedRefused('not-a-feed', 'the signed update feed is not a YAML mapping');
  const version = feedVersion(text);
  if (version === null) {
    throw new FeedRefused('bad-version',
      `the update feed's version ${JSON.stringify(data.version ?? null)} is not a version string`);
  }
  if (signer.tag && signer.tag !== `v${version}`) {
    throw new FeedRefused('tag-mismatch',
      `the update feed offers ${version} but was signed by the release of ${signer.tag}`);
  }
  if (updateDecision(currentVersion, version) === 'downgrade') {
    throw new FeedRefused('downgrade', `the update feed offers ${version}, older than the installed ${currentVersion}`);
  }
  for (const name of feedFileNames(data)) {
    if (!isReleaseFile(name, feedUrl)) {
      throw new FeedRefused('bad-file',
        `the update feed names ${JSON.stringify(name)}, not a file of its own release`);
    }
  }
  return version;
}

/** Plain fetch of a feed file and its bundle, verified (used by tests and diagnostics). */
export async function fetchVerifiedFeed(baseUrl, fileName, trust, { timeoutMs = 15_000 } = {}) {
  const get = async (name) => {
    const response = await fetch(new URL(name, baseUrl), { signal: AbortSignal.timeout(timeoutMs) });
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`GET ${name}: HTTP ${response.status}`);
    return Buffer.from(await response.arrayBuffer());
  };
  const bytes = await get(fileName);
  if (bytes === null) throw new FeedRefused('missing-feed', `no update feed ${fileName} at ${baseUrl}`);
  const bundle = await get(fileName + BUNDLE_SUFFIX);
  const signer = verifySignedBytes(bytes, bundle === null ? null : bundle.toString('utf8'), trust);
  return { bytes, signer };
}

function requestUrl(options) {
  const port = options.port ? `:${options.port}` : '';
  return new URL(`${options.protocol || 'https:'}//${options.hostname}${port}${options.path || '/'}`);
}

// What GitHub's provider asks before the feed: the releases' Atom index and the latest
// release's tag. They only choose which release's feed is fetched; that feed is verified
// (its signer's tag must be its version). Any other request is a feed, whatever its name.
const RELEASE_INDEX = /\/releases(\.atom|\/latest)$/;

/** 'index' (GitHub's release index, read unverified) or 'feed' (must be signed). */
export function requestKind(url) {
  let pathname;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return 'feed'; // a malformed escape: fail closed
  }
  return url.search === '' && RELEASE_INDEX.test(pathname.toLowerCase()) ? 'index' : 'feed';
}

/**
 * Wrap an electron-updater HTTP executor: every feed it fetches (every request but GitHub's
 * release index, see requestKind) must come with a valid `<feed>.sigstore.json` from the
 * pinned identity and pass checkSignedFeed, else the request fails (fail closed).
 */
export function verifyingExecutor(executor, { trust, currentVersion, onRefused = () => {} }) {
  const wrapped = Object.create(executor);
  wrapped.request = async (options, cancellationToken, data) => {
    const url = requestUrl(options);
    const text = await executor.request(options, cancellationToken, data);
    if (requestKind(url) === 'index') return text;
    try {
      let bundle = null;
      try {
        bundle = await executor.request({ ...options, path: `${url.pathname}${BUNDLE_SUFFIX}${url.search}` },
          cancellationToken);
      } catch (error) {
        if (error.statusCode !== 404) throw error;
      }
      const signer = verifySignedBytes(Buffer.from(text || '', 'utf8'), bundle, trust);
      checkSignedFeed(text, signer, currentVersion, url);
      return text;
    } catch (error) {
      if (error instanceof FeedRefused) onRefused(error);
      throw error;
    }
  };
  return wrapped;
}

/**
 * An electron-updater provider class (for `{provider: 'custom', updateProvider}`) whose
 * feed requests are verified. `kind` is 'github' (production) or 'generic' (tests, mirrors).
 */
export function verifiedProviderClass(kind, verification) {
  const Base = kind === 'github'
    ? require('electron-updater/out/providers/GitHubProvider').GitHubProvider
    : require('electron-updater/out/providers/GenericProvider').GenericProvider;
  return class VerifiedFeedProvider extends Base {
    constructor(options, updater, runtimeOptions) {
      super(options, updater, { ...runtimeOptions,
        executor: verifyingExecutor(runtimeOptions.executor, verification) });
    }
  };
}

/**
 * electron-updater's setFeedURL options: a generic URL (private mirror, tests) or the GitHub
 * releases of the pinned repository, always through the verifying provider.
 */
export function feedOptions({ feedUrl, trust, verification }) {
  const provider = (kind) => verifiedProviderClass(kind, verification);
  if (feedUrl) return { provider: 'custom', updateProvider: provider('generic'), url: feedUrl };
  const [owner, repo] = trust.identity.repository.split('/');
  return { provider: 'custom', updateProvider: provider('github'), owner, repo };
}
