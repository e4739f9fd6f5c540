"""One exit-code table: each code distinct, each documented where users read them."""

from __future__ import annotations

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

    options = load_options(_project_with_lock(tmp_path, lock), {})
    with pytest.raises(errors.LockError) as refused:
        export_locked_requirements(options, read_app_project(options))
    message = str(refused.value)
    assert named in message and "\n" not in message, message
    assert refused.value.exit_code == 6


def test_a_hash_pinned_lock_with_markers_and_comments_is_accepted(tmp_path: Path) -> None:
    from djdesk_bundle.build.install import export_locked_requirements
    from djdesk_bundle.options import load_options, read_app_project

    lock = (
        "# a comment\n"
        f"django==5.1 \\\n    {HASH} \\\n    {HASH}\n    # via x\n"
        f"tzdata==2024.1 ; sys_platform == 'win32' \\\n    {HASH}\n"
    )
    options = load_options(_project_with_lock(tmp_path, lock), {})
    assert export_locked_requirements(options, read_app_project(options)).requirements == lock
