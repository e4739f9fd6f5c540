// The contract's keys as types,
// generated from contract.json by scripts/generate_contract_types.py: do not edit.

export interface PayloadDirs {
  readonly python: string;
  readonly site_packages: string;
  readonly runtime: string;
  readonly app: string;
  readonly static: string;
  readonly docs: string;
  readonly samples: string;
}

export interface PayloadFiles {
  readonly launcher: string;
  readonly launcher_config: string;
  readonly template_database: string;
  readonly version: string;
  readonly build_info: string;
  readonly sbom: string;
  readonly checksums: string;
}

export interface PayloadInterpreter {
  readonly posix: string;
  readonly windows: string;
}

export interface Payload {
  readonly root: string;
  readonly dirs: PayloadDirs;
  readonly files: PayloadFiles;
  readonly interpreter: PayloadInterpreter;
  readonly archive_parts: readonly string[];
  readonly stable_parts: readonly string[];
  readonly top_level_files: readonly string[];
}

export interface LauncherOptions {
  readonly host: string;
  readonly port: string;
  readonly threads: string;
  readonly worker: string;
  readonly make_template: string;
  readonly manage: string;
  readonly check: string;
}

export interface LauncherExitCodes {
  readonly ok: number;
  readonly startup_failed: number;
  readonly usage: number;
  readonly database_newer: number;
  readonly port_busy: number;
  readonly migration_failed: number;
  readonly not_sqlite: number;
  readonly data_dir_locked: number;
  readonly missing_dependency: number;
  readonly disk_full: number;
  readonly check_failed: number;
  readonly data_dir_in_use: number;
  readonly data_dir_unusable: number;
  readonly database_damaged: number;
}

export interface Launcher {
  readonly python_flags: readonly string[];
  readonly options: LauncherOptions;
  readonly loopback_hosts: readonly string[];
  readonly ready_prefix: string;
  readonly login_prefix: string;
  readonly timing_prefix: string;
  readonly exit_codes: LauncherExitCodes;
  readonly worker_modes: readonly string[];
  readonly desktop_settings_module: string;
  readonly desktop_overrides: readonly string[];
}

export interface Environment {
  readonly data_dir: string;
  readonly session_token: string;
  readonly force_port: string;
  readonly settings_module: string;
  readonly backups_kept: string;
  readonly lock_wait: string;
  readonly boot_timing: string;
  readonly worker_pipe: string;
  readonly worker_idle: string;
  readonly worker_mode: string;
  readonly stop_pipe: string;
  readonly debug: string;
  readonly source_date_epoch: string;
  readonly project_settings: string;
  readonly payload_dir: string;
  readonly desktop_overrides: string;
}

export interface Session {
  readonly header: string;
  readonly cookie: string;
  readonly query: string;
}

export interface DataDir {
  readonly database: string;
  readonly secret_key: string;
  readonly media: string;
  readonly logs: string;
  readonly django_log: string;
  readonly shell_log: string;
  readonly backups: string;
  readonly lock: string;
  readonly pycache: string;
  readonly data_lab: string;
  readonly shell_settings: string;
  readonly sigstore_tuf: string;
}

export interface IpcActions {
  readonly open_external: string;
  readonly notify: string;
  readonly retry: string;
  readonly update_state_request: string;
  readonly update_action: string;
}

export interface IpcEvents {
  readonly update_state: string;
}

export interface Ipc {
  readonly about: string;
  readonly channel: string;
  readonly event_channel: string;
  readonly preload_argument: string;
  readonly actions: IpcActions;
  readonly events: IpcEvents;
}

export interface UiBridgeMethods {
  readonly notify: string;
  readonly open_external: string;
  readonly retry: string;
  readonly on_update_state: string;
  readonly update_action: string;
}

export interface UiStorage {
  readonly wizard_project_path: string;
}

export interface UiUpdatePhases {
  readonly idle: string;
  readonly disabled: string;
  readonly checking: string;
  readonly current: string;
  readonly available: string;
  readonly downloading: string;
  readonly ready: string;
  readonly refused: string;
  readonly error: string;
}

export interface UiUpdateActions {
  readonly check: string;
  readonly download: string;
  readonly install: string;
}

export interface Ui {
  readonly about: string;
  readonly page_script_id: string;
  readonly bridge: string;
  readonly bridge_methods: UiBridgeMethods;
  readonly drop_event: string;
  readonly dropzone_selector: string;
  readonly storage: UiStorage;
  readonly update_phases: UiUpdatePhases;
  readonly update_actions: UiUpdateActions;
}

export interface Contract {
  readonly schema: number;
  readonly about: string;
  readonly payload: Payload;
  readonly launcher: Launcher;
  readonly environment: Environment;
  readonly session: Session;
  readonly data_dir: DataDir;
  readonly ipc: Ipc;
  readonly ui: Ui;
}

export declare const CONTRACT: Contract;
export declare const PAYLOAD: Contract['payload'];
export declare const LAUNCHER: Contract['launcher'];
export declare const ENV: Contract['environment'];
export declare const SESSION: Contract['session'];
export declare const DATA_DIR: Contract['data_dir'];
export declare const IPC: Contract['ipc'];
export declare const UI: Contract['ui'];
/** A payload path given '/'-separated in the contract, for this platform. */
export declare function payloadPath(
  pathModule: { join(...parts: string[]): string }, bundleDir: string, relative: string,
): string;
