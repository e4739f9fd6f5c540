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

/** The version a feed offers, or null when the text is not a feed. */
export function feedVersion(text) {
  let data;
  try {
    data = yaml.load(String(text));
  } catch {
    return null;
  }
  const version = data && typeof data === 'object' ? data.version : null;
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

/**
 * The checks on top of the signature: the release tag the signing workflow ran for must
 * be the version the feed offers, and the version must not be lower than ours.
 */
export function checkFeedVersion(text, signer, currentVersion) {
  const version = feedVersion(text);
  if (version === null) return null; // not a feed: electron-updater reports the parse error
  if (signer.tag && signer.tag !== `v${version}`) {
    throw new FeedRefused('tag-mismatch',
      `the update feed offers ${version} but was signed by the release of ${signer.tag}`);
  }
  if (updateDecision(currentVersion, version) === 'downgrade') {
    throw new FeedRefused('downgrade', `the update feed offers ${version}, older than the installed ${currentVersion}`);
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

/**
 * Wrap an electron-updater HTTP executor: every `*.yml` it fetches must come with a valid
 * `*.yml.sigstore.json` from the pinned identity, else the request fails (fail closed).
 */
export function verifyingExecutor(executor, { trust, currentVersion, onRefused = () => {} }) {
  const wrapped = Object.create(executor);
  wrapped.request = async (options, cancellationToken, data) => {
    const url = requestUrl(options);
    const text = await executor.request(options, cancellationToken, data);
    if (!url.pathname.endsWith('.yml')) return text;
    try {
      let bundle = null;
      try {
        bundle = await executor.request({ ...options, path: `${url.pathname}${BUNDLE_SUFFIX}${url.search}` },
          cancellationToken);
      } catch (error) {
        if (error.statusCode !== 404) throw error;
      }
      const signer = verifySignedBytes(Buffer.from(text || '', 'utf8'), bundle, trust);
      checkFeedVersion(text, signer, currentVersion);
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
