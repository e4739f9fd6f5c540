// The file names electron-builder gives each installer of a platform and architecture,
// computed with electron-builder's own macro expansion and arch naming from
// electron-builder.yml (so a stand-in made for a target the host cannot build is named
// exactly as the real build would name it).
//
//   node release/artifactNames.mjs win arm64   ->  JSON list of {file, target, blockmap, feed}
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

const require = createRequire(import.meta.url);
const { Arch, getArtifactArchName } = require('builder-util');
const { expandMacro } = require('app-builder-lib/out/util/macroExpander');

const electronDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// electron-builder's own defaults for each target: the name pattern used when the config
// gives none (with electron-builder's rule that a single-arch x64 build drops `${arch}`:
// NsisTarget, ArchiveTarget, DmgTarget, AppImageTarget, FpmTarget), whether it writes a
// separate .blockmap, and whether the update feed lists it.
const ARCHIVE_DEFAULT = '${productName}-${version}-${arch}-${os}.${ext}';
const TARGETS = {
  mac: {
    dmg: { ext: 'dmg', blockmap: true, feed: true, defaultPattern: '${productName}-${version}-${arch}.${ext}' },
    zip: { ext: 'zip', blockmap: true, feed: true, defaultPattern: ARCHIVE_DEFAULT },
  },
  win: {
    nsis: { ext: 'exe', blockmap: true, feed: true, defaultPattern: '${productName} Setup ${version}.${ext}' },
    zip: { ext: 'zip', blockmap: false, feed: false, defaultPattern: ARCHIVE_DEFAULT },
  },
  linux: {
    AppImage: { ext: 'AppImage', blockmap: false, feed: true, defaultPattern: '${productName}-${version}-${arch}.${ext}' },
    deb: { ext: 'deb', blockmap: false, feed: true, defaultPattern: '${name}_${version}_${arch}.${ext}' },
    'tar.gz': { ext: 'tar.gz', blockmap: false, feed: false, defaultPattern: '${name}-${version}-${arch}.${ext}' },
  },
};

export function loadBuilderConfig(dir = electronDir) {
  return yaml.load(fs.readFileSync(path.join(dir, 'electron-builder.yml'), 'utf8'));
}

/** The update feed electron-builder writes for a platform and arch (updateInfoBuilder.js). */
export function feedFileName(platform, arch, channel = 'latest') {
  if (platform === 'win') return `${channel}.yml`;
  const suffix = platform === 'linux' && arch !== 'x64' ? `-${arch}` : '';
  return `${channel}-${platform}${suffix}.yml`;
}

/** [{file, target, blockmap, feed}] for every target of `platform` in the config. */
export function installerNames(platform, arch, { config = loadBuilderConfig(), pkg } = {}) {
  const packageJson = pkg || JSON.parse(fs.readFileSync(path.join(electronDir, 'package.json'), 'utf8'));
  const productName = config.productName || packageJson.productName || packageJson.name;
  const appInfo = {
    productName, sanitizedProductName: productName, name: packageJson.name, version: packageJson.version,
  };
  const platformOptions = config[platform] || {};
  return (platformOptions.target || []).map((entry) => {
    const target = typeof entry === 'string' ? entry : entry.target;
    const facts = TARGETS[platform][target];
    if (!facts) throw new Error(`no naming facts for the ${platform} target ${target}`);
    const configured = (config[target] || {}).artifactName || platformOptions.artifactName || config.artifactName;
    const pattern = configured || facts.defaultPattern;
    // Without a configured pattern electron-builder leaves the default arch (x64) out.
    const archName = !configured && arch === 'x64' && facts.ext !== 'deb' ? null : getArtifactArchName(Arch[arch], facts.ext);
    const file = expandMacro(pattern, archName, appInfo, { os: platform, ext: facts.ext });
    return { file, target, blockmap: facts.blockmap, feed: facts.feed };
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [platform, arch] = process.argv.slice(2);
  process.stdout.write(`${JSON.stringify(installerNames(platform, arch), null, 2)}\n`);
}
