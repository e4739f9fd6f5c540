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

from djdesk_bundle.tools.uv import find_uv
from tests.bundler.conftest import HOST_TRIPLE, bundle, needs_local_python
from tests.bundler.mirror import serve_mirror
from tests.bundler.projects import (
    boot_checks,
    booted,
    make_allauth_site,
    make_wagtail_site,
    manage,
    pinned_versions,
)

pytestmark = [pytest.mark.e2e, needs_local_python]

if not find_uv():  # pragma: no cover - uv is a dependency of the bundler
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
    # The desktop shell, named after the project; never in the payload (app-dir is ".").
    assert json.loads((site / "electron" / "package.json").read_text())["productName"] == "mysite"
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
    assert not (payload / "app" / "electron").exists()


def test_reinit_leaves_everything_alone(allauth, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, _ = allauth
    kept = (site / "pyproject.toml", site / ".gitignore", site / "electron" / "package.json")
    before = {p: p.read_bytes() for p in kept}
    again = bundle("init", cwd=site)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("left alone") == 4  # [project], the table, .gitignore, electron/
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
    # A real change (a comment alone leaves the lock current: what pip reads is the same).
    base.write_text(base.read_text() + "sqlparse>=0.5\n")
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
    assert result.returncode == 11  # install (lock errors are 6)
    first = next(line for line in result.stderr.splitlines() if line.startswith("error:"))
    assert f"docopt has no wheel for {HOST_TRIPLE}" in first
    assert 'build-sdists = ["docopt"]' in " ".join(result.stderr.split())  # the way out


# A valid 2x2 PNG, made here (the upload must be a real image for Wagtail).
def tiny_png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_wagtail_site_is_a_working_desktop_app(wagtail, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """From a read-only copy and a fresh data dir: pages, admin, static files, and an image
    uploaded through the running admin served back from the data dir (#15)."""
    site, _ = wagtail
    payload = site / ".djdesk" / "django-bundle"
    data = tmp_path / "data"
    created = manage(
        payload, data, "createsuperuser", "--noinput", "--username", "admin",
        "--email", "admin@example.com", DJANGO_SUPERUSER_PASSWORD="s3cret-pass",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert (data / "db.sqlite3").is_file() and not list(payload.rglob("*.sqlite3.app-version"))
    with booted(payload, data) as session:
        assert session.get("/")[0] == 200
        status, body, _ = session.get("/admin/login/")
        assert status == 200 and b"csrfmiddlewaretoken" in body
        assert session.get("/static/css/welcome_page.css")[0] == 200
        status, _, url = session.post_form(
            "/admin/login/", {"username": "admin", "password": "s3cret-pass", "next": "/admin/"}
        )
        assert status == 200 and url.endswith("/admin/"), url
        session.get("/admin/images/add/")
        status, body, url = session.post_form(
            "/admin/images/add/", {"title": "Desk photo", "collection": "1", "tags": ""},
            {"file": ("desk-photo.png", tiny_png())},
        )  # fmt: skip
        assert status == 200 and "/admin/images/" in url, body[-2000:]
        stored = sorted((data / "media").rglob("desk-photo*.png"))
        assert stored, list((data / "media").rglob("*"))
        relative = stored[0].relative_to(data / "media").as_posix()
        status, served, _ = session.get(f"/media/{relative}")
        # Wagtail keeps its own copy of the upload: what is served is that file, from the data dir.
        assert status == 200 and served == stored[0].read_bytes()
        assert served.startswith(b"\x89PNG")
    assert "secret_key" in {p.name for p in data.iterdir()}
    assert oct((data / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_allauth_site_is_a_working_desktop_app(allauth, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Its production settings name another host and want HTTPS: on loopback the desktop
    overrides make it work; allauth's templates and static files are served."""
    site, _ = allauth
    payload = site / ".djdesk" / "django-bundle"
    wanted = {"/accounts/login/": 200, "/admin/login/": 200, "/static/account/js/account.js": 200}
    assert boot_checks(payload, tmp_path / "data", wanted) == wanted


def test_wagtail_site_builds_reproducibly(wagtail, mirror, local_interpreter, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Wagtail's migrations write random identifiers (uuid4) into the template database:
    seeded from SOURCE_DATE_EPOCH while it is made, two independent builds (separate empty
    caches, other umask, time zone and locale) give byte-identical archives (#18)."""
    site, _ = wagtail
    env = project_env(mirror, local_interpreter, tmp_path / "cache")
    result = bundle("build", "--check-reproducible", cwd=site, env=env)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "reproducible" in result.stderr
