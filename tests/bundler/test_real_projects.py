"""Real third-party projects (made from PyPI by ``tests/bundler/projects.py``): ``init``
picks the right settings and requirements, ``lock`` and ``build`` succeed with the local
interpreter over a real 127.0.0.1 mirror, and ``verify`` passes."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from djdesk_bundle.tools import uv_binary
from tests.bundler.conftest import bundle, needs_local_python
from tests.bundler.mirror import serve_mirror
from tests.bundler.projects import make_allauth_site, make_wagtail_site, pinned_versions

pytestmark = [pytest.mark.e2e, needs_local_python]

if not uv_binary():  # pragma: no cover - uv is a dependency of the bundler
    pytest.skip("needs uv", allow_module_level=True)


def project_env(mirror: str, local_interpreter: Path, cache: Path) -> dict[str, str]:
    """The user's environment plus the local interpreter: nothing else steers the build."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJDESK_", "DJANGO_"))}
    env |= {
        "DJDESK_BUNDLE_INTERPRETER_MANIFEST": str(local_interpreter / "manifest.toml"),
        "DJDESK_BUNDLE_PYTHON_MIRROR": mirror,
        "DJDESK_BUNDLE_CACHE_DIR": str(cache),
    }
    return env


@pytest.fixture(scope="module")
def mirror(local_interpreter: Path) -> Iterator[str]:
    with serve_mirror(local_interpreter) as (url, _state):
        yield url


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("real-projects-cache")


def init_lock_build(site: Path, env: dict[str, str]) -> dict[str, str]:
    """init, lock, build, verify as a user types them; their stderr by step."""
    logs = {}
    for step in (["init"], ["lock"], ["build"], ["verify", ".djdesk/django-bundle"]):
        result = bundle(*step, cwd=site, env=env)
        assert result.returncode == 0, f"{step}: {result.stderr}"
        logs[step[0]] = result.stderr
    return logs


@pytest.fixture(scope="module")
def wagtail(tmp_path_factory, mirror, local_interpreter, shared_cache) -> tuple[Path, dict]:  # type: ignore[no-untyped-def]
    site = make_wagtail_site(tmp_path_factory.mktemp("wagtail"))
    env = project_env(mirror, local_interpreter, shared_cache)
    return site, init_lock_build(site, env)


@pytest.fixture(scope="module")
def allauth(tmp_path_factory, mirror, local_interpreter, shared_cache) -> tuple[Path, dict]:  # type: ignore[no-untyped-def]
    site = make_allauth_site(tmp_path_factory.mktemp("allauth"))
    env = project_env(mirror, local_interpreter, shared_cache)
    return site, init_lock_build(site, env)


def table(site: Path) -> dict[str, str]:
    import tomllib

    return tomllib.loads((site / "pyproject.toml").read_text())["tool"]["djdesk-bundle"]


def test_wagtail_site_init_picks_production_settings_and_requirements(wagtail) -> None:  # type: ignore[no-untyped-def]
    site, _ = wagtail
    config = table(site)
    assert config["settings-module"] == "mysite.settings.production"
    assert config["app-dir"] == "." and config["app-package"] == "mysite"
    assert config["requirements"] == "requirements.txt"
    assert "interpreter-manifest" not in config
    assert "/.djdesk/" in (site / ".gitignore").read_text().splitlines()
    assert not (site / "electron").exists()
    versions = pinned_versions((site / "requirements.lock.txt").read_text())
    assert versions["wagtail"].startswith("7.0.") and versions["django"].startswith("5.2.")


def test_wagtail_site_builds_and_verifies_without_shipping_its_outputs(wagtail) -> None:  # type: ignore[no-untyped-def]
    site, logs = wagtail
    payload = site / ".djdesk" / "django-bundle"
    assert "untracked" not in logs["build"]
    assert "ok:" in logs["verify"]
    assert not (payload / "app" / ".djdesk").exists()
    assert (payload / "app" / "mysite" / "settings" / "production.py").is_file()
    assert (payload / "app" / "home" / "templates" / "home" / "welcome_page.html").is_file()
    assert (payload / "static" / "css" / "welcome_page.css").is_file()
    assert (payload / "static" / "wagtailadmin").is_dir()
    info = json.loads((payload / "build-info.json").read_text())
    assert info["git"]["dirty"] is False  # init's edits are untracked: they do not make it dirty


def test_allauth_site_init_picks_production_settings_and_requirements(allauth) -> None:  # type: ignore[no-untyped-def]
    site, _ = allauth
    config = table(site)
    assert config["settings-module"] == "deskauth.settings.production"
    assert config["requirements"] == "requirements.txt"  # not requirements/dev.txt
    lock = (site / "requirements.lock.txt").read_text()
    versions = pinned_versions(lock)
    assert set(versions) >= {"django", "django-allauth", "asgiref", "sqlparse"}
    assert "django-debug-toolbar" not in versions
    base = pinned_versions((site / "requirements" / "base.txt").read_text())
    assert versions["django"] == base["django"]  # the hash-pinned versions are kept


def test_allauth_site_builds_and_verifies_with_its_app_static_files(allauth) -> None:  # type: ignore[no-untyped-def]
    site, logs = allauth
    payload = site / ".djdesk" / "django-bundle"
    assert "ok:" in logs["verify"]
    assert (payload / "static" / "account" / "js" / "account.js").is_file()
    assert (payload / "site-packages" / "allauth" / "templates").is_dir()
    assert not (payload / "app" / ".djdesk").exists()


def test_reinit_leaves_everything_alone(allauth, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, _ = allauth
    before = {p: p.read_bytes() for p in (site / "pyproject.toml", site / ".gitignore")}
    again = bundle("init", cwd=site)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("left alone") == 3
    assert {p: p.read_bytes() for p in before} == before


def test_a_second_build_of_a_flat_project_does_not_grow(
    allauth, mirror, local_interpreter, shared_cache
) -> None:  # type: ignore[no-untyped-def]
    site, _ = allauth
    payload = site / ".djdesk" / "django-bundle"
    files = sorted(p.relative_to(payload) for p in payload.rglob("*"))
    env = project_env(mirror, local_interpreter, shared_cache)
    result = bundle("build", "--force", cwd=site, env=env)
    assert result.returncode == 0, result.stderr
    assert sorted(p.relative_to(payload) for p in payload.rglob("*")) == files


def test_a_changed_requirements_file_needs_a_new_lock(
    allauth, tmp_path, mirror, local_interpreter, shared_cache
) -> None:  # type: ignore[no-untyped-def]
    site = tmp_path / "site"
    shutil.copytree(allauth[0], site, ignore=shutil.ignore_patterns(".djdesk"))
    base = site / "requirements" / "base.txt"
    base.write_text(base.read_text() + "# touched\n")
    env = project_env(mirror, local_interpreter, shared_cache)
    result = bundle("build", cwd=site, env=env)
    assert result.returncode == 6
    assert "out of date with requirements.txt: run `djdesk-bundle lock`" in result.stderr


def test_an_sdist_only_dependency_is_named_in_one_line(
    allauth, tmp_path, mirror, local_interpreter, shared_cache
) -> None:  # type: ignore[no-untyped-def]
    site = tmp_path / "site"
    shutil.copytree(allauth[0], site, ignore=shutil.ignore_patterns(".djdesk"))
    (site / "requirements.txt").write_text("-r requirements/base.txt\ndocopt==0.6.2\n")
    env = project_env(mirror, local_interpreter, shared_cache)
    assert bundle("lock", cwd=site, env=env).returncode == 0
    result = bundle("build", cwd=site, env=env)
    assert result.returncode == 6
    first = next(line for line in result.stderr.splitlines() if line.startswith("error:"))
    assert "docopt has no wheel for x86_64-unknown-linux-gnu" in first
    assert "Pick a version with wheels" in " ".join(result.stderr.split())
