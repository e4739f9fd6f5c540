// The payload contract (bundler/djdesk_runtime/contract.json, copied to electron/contract.json
// and checked identical by the Python tests): every name the shell shares with the bundler,
// the launcher, Django and the inspector's page. Read here, never re-typed. Its keys are typed
// in contract.d.ts (generated from the JSON by scripts/generate_contract_types.py).
import { readFileSync } from 'node:fs';

export const CONTRACT = JSON.parse(readFileSync(new URL('../contract.json', import.meta.url), 'utf8'));

export const PAYLOAD = CONTRACT.payload;
export const LAUNCHER = CONTRACT.launcher;
export const ENV = CONTRACT.environment;
export const SESSION = CONTRACT.session;
export const DATA_DIR = CONTRACT.data_dir;
export const IPC = CONTRACT.ipc;
export const UI = CONTRACT.ui;

/** A payload path given '/'-separated in the contract, for this platform. */
export function payloadPath(pathModule, bundleDir, relative) {
  return pathModule.join(bundleDir, ...relative.split('/'));
}
