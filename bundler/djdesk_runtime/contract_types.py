"""The contract's keys as TypedDicts,
generated from contract.json by scripts/generate_contract_types.py: do not edit."""

from __future__ import annotations

from typing import TypedDict


class PayloadDirs(TypedDict):
    python: str
    site_packages: str
    runtime: str
    app: str
    static: str
    docs: str
    samples: str


class PayloadFiles(TypedDict):
    launcher: str
    launcher_config: str
    template_database: str
    version: str
    build_info: str
    sbom: str
    checksums: str


class PayloadInterpreter(TypedDict):
    posix: str
    windows: str


class Payload(TypedDict):
    root: str
    dirs: PayloadDirs
    files: PayloadFiles
    interpreter: PayloadInterpreter
    archive_parts: list[str]
    stable_parts: list[str]
    top_level_files: list[str]


class LauncherOptions(TypedDict):
    host: str
    port: str
    threads: str
    worker: str
    make_template: str
    manage: str
    check: str


class LauncherExitCodes(TypedDict):
    ok: int
    startup_failed: int
    usage: int
    database_newer: int
    port_busy: int
    migration_failed: int
    not_sqlite: int
    data_dir_locked: int
    missing_dependency: int
    disk_full: int
    check_failed: int
    data_dir_in_use: int
    data_dir_unusable: int
    database_damaged: int


class Launcher(TypedDict):
    python_flags: list[str]
    options: LauncherOptions
    loopback_hosts: list[str]
    ready_prefix: str
    login_prefix: str
    timing_prefix: str
    exit_codes: LauncherExitCodes
    worker_modes: list[str]
    desktop_settings_module: str
    desktop_overrides: list[str]


class Environment(TypedDict):
    data_dir: str
    session_token: str
    force_port: str
    settings_module: str
    backups_kept: str
    lock_wait: str
    boot_timing: str
    worker_pipe: str
    worker_idle: str
    worker_mode: str
    stop_pipe: str
    debug: str
    source_date_epoch: str
    project_settings: str
    payload_dir: str
    desktop_overrides: str


class Session(TypedDict):
    header: str
    cookie: str
    query: str


class DataDir(TypedDict):
    database: str
    secret_key: str
    media: str
    logs: str
    django_log: str
    shell_log: str
    backups: str
    lock: str
    pycache: str
    data_lab: str
    shell_settings: str
    sigstore_tuf: str


class IpcActions(TypedDict):
    open_external: str
    notify: str
    retry: str
    update_state_request: str
    update_action: str


class IpcEvents(TypedDict):
    update_state: str


class Ipc(TypedDict):
    about: str
    channel: str
    event_channel: str
    preload_argument: str
    actions: IpcActions
    events: IpcEvents


class UiBridgeMethods(TypedDict):
    notify: str
    open_external: str
    retry: str
    on_update_state: str
    update_action: str


class UiStorage(TypedDict):
    wizard_project_path: str


class UiUpdatePhases(TypedDict):
    idle: str
    disabled: str
    checking: str
    current: str
    available: str
    downloading: str
    ready: str
    refused: str
    error: str


class UiUpdateActions(TypedDict):
    check: str
    download: str
    install: str


class Ui(TypedDict):
    about: str
    page_script_id: str
    bridge: str
    bridge_methods: UiBridgeMethods
    drop_event: str
    dropzone_selector: str
    storage: UiStorage
    update_phases: UiUpdatePhases
    update_actions: UiUpdateActions


class Contract(TypedDict):
    schema: int
    about: str
    payload: Payload
    launcher: Launcher
    environment: Environment
    session: Session
    data_dir: DataDir
    ipc: Ipc
    ui: Ui
