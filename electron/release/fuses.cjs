// Electron fuses, flipped in the packaged binary before it is signed (electron-builder's
// afterPack runs before signing). With these off, the installed app cannot be turned into
// a general Node.js runtime (ELECTRON_RUN_AS_NODE, NODE_OPTIONS, --inspect) and loads its
// code only from an app.asar whose integrity is checked (macOS and Windows support it).
const path = require('node:path');
const { FuseV1Options, FuseVersion, flipFuses, getCurrentFuseWire } = require('@electron/fuses');

/** The fuse configuration for a platform ('darwin' | 'win32' | 'linux'). */
function fuseConfig(platform, arch) {
  return {
    version: FuseVersion.V1,
    // An arm64 macOS binary must stay validly (ad hoc) signed after its bytes change.
    resetAdHocDarwinSignature: platform === 'darwin' && arch === 'arm64',
    [FuseV1Options.RunAsNode]: false,
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
    [FuseV1Options.EnableNodeCliInspectArguments]: false,
    [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: platform === 'darwin' || platform === 'win32',
    [FuseV1Options.OnlyLoadAppFromAsar]: true,
    [FuseV1Options.EnableCookieEncryption]: true,
    [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  };
}

/** The Electron executable inside electron-builder's appOutDir. */
function electronBinary({ appOutDir, electronPlatformName, packager }) {
  const product = packager.appInfo.productFilename;
  if (electronPlatformName === 'darwin' || electronPlatformName === 'mas') {
    return path.join(appOutDir, `${product}.app`, 'Contents', 'MacOS', product);
  }
  if (electronPlatformName === 'win32') return path.join(appOutDir, `${product}.exe`);
  return path.join(appOutDir, packager.executableName);
}

const ARCH_NAMES = ['ia32', 'x64', 'armv7l', 'arm64', 'universal']; // builder-util's Arch enum

/** electron-builder's afterPack hook: flip the fuses; any failure fails the build. */
async function afterPack(context) {
  const binary = electronBinary(context);
  const arch = typeof context.arch === 'number' ? ARCH_NAMES[context.arch] : context.arch;
  await flipFuses(binary, fuseConfig(context.electronPlatformName, arch));
}

module.exports = { afterPack, electronBinary, fuseConfig, getCurrentFuseWire };
