"""One exit-code table: each code distinct, each documented where users read them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import djdesk_bundle.errors as errors
from djdesk_runtime.contract import EXIT_CODES
from tests.conftest import REPO


def error_classes() -> list[type[errors.BundleError]]:
    return [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.BundleError)
    ]


def test_every_code_is_distinct_but_for_declared_refinements() -> None:
    by_code: dict[int, list[str]] = {}
    for cls in error_classes():
        by_code.setdefault(cls.exit_code, []).append(cls.__name__)
    # OfflineCacheMiss is a kind of download failure: the one shared code, on purpose.
    assert sorted(by_code.pop(3)) == ["FetchError", "OfflineCacheMiss"]
    assert all(len(names) == 1 for names in by_code.values()), by_code


def test_every_code_is_documented() -> None:
    readme = (REPO / "README.md").read_text()
    for cls in error_classes():
        assert f"{cls.exit_code} " in errors.__doc__  # type: ignore[operator]
        assert f"{cls.exit_code} " in readme, cls.__name__
    for reason, code in EXIT_CODES.items():  # the launcher's own table
        assert f"| {code} |" in (REPO / "docs" / "architecture.md").read_text(), reason


# The lock is the supply chain (issue #27): option lines and direct references are refused.

HASH = "--hash=sha256:" + "ab" * 32


def _project_with_lock(root: Path, lock: str) -> Path:
    (root / "src" / "site_pkg").mkdir(parents=True)
    (root / "src" / "site_pkg" / "wsgi.py").write_text("")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1.0"\n\n'
        '[tool.djdesk-bundle]\napp-dir = "src"\nlock = "requirements.txt"\n'
    )
    (root / "requirements.txt").write_text(lock)
    return root


@pytest.mark.parametrize(
    ("lock", "named"),
    [
        (f"--no-binary evilsdist\nevilsdist==1.0 {HASH}\n", "--no-binary evilsdist"),
        (f"--find-links /tmp/wheels\ndjango==5.1 {HASH}\n", "--find-links /tmp/wheels"),
        (f"-f /tmp/wheels\ndjango==5.1 {HASH}\n", "-f /tmp/wheels"),
        (f"-e ./evil\ndjango==5.1 {HASH}\n", "-e ./evil"),
        (f"--index-url https://evil.example/simple\ndjango==5.1 {HASH}\n", "--index-url"),
        (f"--extra-index-url https://evil.example/simple\ndjango==5.1 {HASH}\n", "--extra-"),
        (f"evilsdist @ file:///tmp/evilsdist-1.0.tar.gz \\\n    {HASH}\n", "direct reference"),
        (f"evil @ file:///tmp/evil-1.0-py3-none-any.whl {HASH}\n", "direct reference"),
        (f"evil @ https://evil.example/evil-1.0-py3-none-any.whl {HASH}\n", "direct reference"),
        (f"django>=5 {HASH}\n", "not pinned to one version"),
        (f"django==5.* {HASH}\n", "not pinned to one version"),
        (f"django==5.1 {HASH} --config-settings=x=y\n", "only --hash=sha256"),
        (f"django==5.1 ; python_version >= {HASH}\n", "is not a requirement"),
        ("django==5.1\n", "without --hash=sha256: django"),
    ],
)
def test_a_lock_accepts_only_hash_pinned_index_requirements(
    tmp_path: Path, lock: str, named: str
) -> None:
    from djdesk_bundle.build.install import export_locked_requirements
    from djdesk_bundle.options import load_options, read_app_project
    from djdesk_bundle.tools.toolchain import Toolchain

    options = load_options(_project_with_lock(tmp_path, lock), {})
    with pytest.raises(errors.LockError) as refused:
        export_locked_requirements(options, read_app_project(options), Toolchain.find())
    message = str(refused.value)
    assert named in message and "\n" not in message, message
    assert refused.value.exit_code == 6


def test_a_hash_pinned_lock_with_markers_and_comments_is_accepted(tmp_path: Path) -> None:
    from djdesk_bundle.build.install import export_locked_requirements
    from djdesk_bundle.options import load_options, read_app_project
    from djdesk_bundle.tools.toolchain import Toolchain

    lock = (
        "# a comment\n"
        f"django==5.1 \\\n    {HASH} \\\n    {HASH}\n    # via x\n"
        f"tzdata==2024.1 ; sys_platform == 'win32' \\\n    {HASH}\n"
    )
    options = load_options(_project_with_lock(tmp_path, lock), {})
    assert (
        export_locked_requirements(
            options, read_app_project(options), Toolchain.find()
        ).requirements
        == lock
    )


# Every child process of the build has a time limit (issue #27: a settings module that
# sleeps hung `check` and `build` forever).

SLEEPER = "import time\ntime.sleep(600)"
# A grandchild that keeps the output pipes open: reading them to their end would leave
# run() waiting for as long as the grandchild lives. It says its pid, to be ended here.
FORKER = (
    "import subprocess, sys, time\n"
    "grandchild = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
    "open(sys.argv[1], 'w').write(str(grandchild.pid))\n"
    "time.sleep(600)"
)


@pytest.mark.parametrize("program", [SLEEPER, FORKER], ids=["child", "grandchild"])
def test_a_hanging_child_is_stopped_with_one_line(program: str, tmp_path: Path) -> None:
    import os
    import signal

    from djdesk_bundle.tools.process import run

    pid_file = tmp_path / "grandchild.pid"
    try:
        with pytest.raises(errors.ChildTimedOut) as stopped:
            run([sys.executable, "-c", program, str(pid_file)], timeout=2)
    finally:
        if pid_file.is_file():
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
    message = str(stopped.value)
    assert "\n" not in message and "did not finish within 2 s" in message
    assert "process-timeout" in message and stopped.value.exit_code == 16


def test_process_timeout_is_an_option(tmp_path: Path) -> None:
    from djdesk_bundle.options import load_options

    root = _project_with_lock(tmp_path, "")
    assert load_options(root, {}).process_timeout == 1800
    assert load_options(root, {"DJDESK_BUNDLE_PROCESS_TIMEOUT": "30"}).process_timeout == 30
    with pytest.raises(errors.ConfigError, match="process-timeout must be a positive"):
        load_options(root, {"DJDESK_BUNDLE_PROCESS_TIMEOUT": "0"})


def test_a_sleeping_settings_module_stops_the_check_in_one_line(tmp_path: Path) -> None:
    """The pre-flight check's child, as the build starts it (the payload's launcher with
    a settings module that sleeps at import)."""
    import sys

    from djdesk_bundle.build.preflight import run_check
    from djdesk_bundle.build.stage import StageContext
    from djdesk_bundle.options import load_options
    from djdesk_bundle.tools.toolchain import Toolchain
    from djdesk_bundle.ui import Reporter

    root = _project_with_lock(tmp_path / "p", "")
    (root / "src" / "site_pkg" / "settings.py").write_text("import time\ntime.sleep(600)\n")
    env = {
        "DJDESK_BUNDLE_PROCESS_TIMEOUT": "2",
        "DJDESK_BUNDLE_SETTINGS_MODULE": "site_pkg.settings",
    }
    options = load_options(root, env)
    staging = tmp_path / "staging"
    (staging / "app").mkdir(parents=True)
    (staging / "app" / "site_pkg").symlink_to(root / "src" / "site_pkg")
    from djdesk_runtime.contract import LAUNCHER

    (staging / LAUNCHER).write_text(
        "import importlib, os, sys\n"
        "sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'app'))\n"
        "importlib.import_module(os.environ['DJANGO_SETTINGS_MODULE'])\n"
    )
    from djdesk_bundle.build.extract import Interpreter

    toolchain = Toolchain.find()
    interpreter = Interpreter(
        root=staging,
        executable=Path(sys.executable),
        triple=toolchain.host_triple,
        host_triple=toolchain.host_triple,
        compile_wanted=False,
        cache_key="",
    )
    ctx = StageContext(options, Reporter(verbosity=-1), toolchain, staging, tmp_path / "work")
    with pytest.raises(errors.ChildTimedOut, match="did not finish within 2 s"):
        run_check(ctx, interpreter)


@pytest.mark.skipif(
    sys.platform in ("win32", "darwin"), reason="the file system takes only UTF-8 names"
)
def test_a_file_name_that_is_not_utf8_is_named_in_one_line(tmp_path: Path) -> None:
    """`git ls-files -z` printed it raw and the build died with a UnicodeDecodeError."""
    import os
    import subprocess

    from djdesk_bundle.tools.git import find_git, git

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "app").mkdir()
    with open(os.path.join(os.fsencode(tmp_path / "app"), b"caf\xe9.txt"), "wb") as handle:
        handle.write(b"x")
    with pytest.raises(errors.ConfigError) as refused:
        git(find_git(), tmp_path, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    message = str(refused.value)
    assert "app/caf\\xe9.txt" in message and "not UTF-8" in message and "\n" not in message


def test_the_help_names_every_exit_code() -> None:
    from djdesk_bundle.cli.help import EXIT_MEANINGS

    assert {cls.exit_code for cls in error_classes()} <= set(EXIT_MEANINGS)
