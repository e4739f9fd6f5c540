"""A real shop project made from PyPI (``projects.make_shop_site``: Django, django-compressor
in offline mode, an sdist-only dependency, git-ignored built assets and settings, a
committed SQLite index) bundled by following docs/integration.md's "What ships" section:
it builds, its smoke stage proves it answers, and it boots from a read-only payload with
every page and static file answering. A project whose start page raises fails its build
in the smoke stage with the traceback; a tracked link to an ignored secret and an
un-included generated asset are refused or caught before anything is published."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bundler.conftest import bundle, needs_local_python
from tests.bundler.mirror import serve_mirror
from tests.bundler.projects import booted, git_commit_all, make_shop_site
from tests.bundler.test_pack_publish_verify import wait_until_gone

pytestmark = [pytest.mark.e2e, needs_local_python]

TABLE = """
[project]
name = "deskshop"
version = "1.0.0"

[tool.djdesk-bundle]
app-dir = "."
app-package = "deskshop"
settings-module = "deskshop.settings"
lock = "requirements.txt"
output-dir = ".djdesk/django-bundle"
dist-dir = ".djdesk/dist"
before-build = "{python} build_assets.py"
include = ["assets/build/**", "deskshop/local_settings.py"]
build-commands = ["compress"]
build-sdists = ["docopt"]
smoke-urls = ["/", "/search/", "/admin/login/"]
"""


@pytest.fixture(scope="module")
def mirror(local_interpreter: Path) -> Iterator[str]:
    with serve_mirror(local_interpreter) as (url, _state):
        yield url


def shop_env(mirror: str, local_interpreter: Path, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJDESK_", "DJANGO_"))}
    return env | {
        "DJDESK_BUNDLE_INTERPRETER_MANIFEST": str(local_interpreter / "manifest.toml"),
        "DJDESK_BUNDLE_PYTHON_MIRROR": mirror,
        "DJDESK_BUNDLE_CACHE_DIR": str(cache),
    }


def configure(site: Path, table: str = TABLE) -> None:
    python = Path(sys.executable).as_posix()
    (site / "pyproject.toml").write_text(table.replace("{python}", python))
    git_commit_all(site)


@pytest.fixture(scope="module")
def shop(tmp_path_factory, mirror, local_interpreter) -> dict:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("shop")
    site = make_shop_site(root)
    configure(site)
    env = shop_env(mirror, local_interpreter, root / "cache")
    result = bundle("build", cwd=site, env=env)
    return {"site": site, "env": env, "build": result, "root": root}


def test_the_shop_builds_with_its_build_steps_and_smoke_test(shop) -> None:  # type: ignore[no-untyped-def]
    result = shop["build"]
    assert result.returncode == 0, result.stderr
    payload = shop["site"] / ".djdesk" / "django-bundle"
    info = json.loads((payload / "build-info.json").read_text())
    assert info["build_steps"]["build_commands"] == ["compress"]
    assert {"/", "/search/", "/admin/login/", "/static/build/site.css"} <= set(info["smoke"])
    app = payload / "app"
    assert (app / "assets" / "build" / "site.css").is_file()  # generated, included
    assert (app / "deskshop" / "local_settings.py").is_file()  # git-ignored, included
    assert (app / "shop" / "data" / "search.sqlite3").is_file()  # a committed data file
    assert (payload / "static" / "CACHE" / "manifest.json").is_file()  # compress ran
    assert list((payload / "site-packages").glob("docopt-0.6.2.dist-info"))  # from its sdist
    sbom = json.loads((payload / "sbom.cdx.json").read_text())
    docopt = next(c for c in sbom["components"] if c["name"] == "docopt")
    assert {"name": "djdesk:built-from-sdist", "value": "true"} in docopt["properties"]
    django = next(c for c in sbom["components"] if c["name"].lower() == "django")
    assert "djdesk:built-from-sdist" not in json.dumps(django)
    assert not (app / "db.sqlite3").exists()
    verify = bundle("verify", str(payload), cwd=shop["site"], env=shop["env"])
    assert verify.returncode == 0, verify.stderr


def test_the_shop_answers_from_a_read_only_payload(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert shop["build"].returncode == 0, shop["build"].stderr
    payload = shop["site"] / ".djdesk" / "django-bundle"
    with booted(payload, tmp_path / "data") as session:
        status, body, _ = session.get("/")
        assert status == 200, body[-2000:]
        page = body.decode()
        assert "docopt 0.6.2" in page and "/static/CACHE/js/" in page
        assert session.get("/static/build/site.css")[0] == 200
        compressed = page.split('src="')[1].split('"')[0]
        assert session.get(compressed)[0] == 200
        status, body, _ = session.get("/search/")
        assert status == 200 and json.loads(body) == {"products": ["desk", "lamp"]}
        assert session.get("/admin/login/")[0] == 200


def test_a_rebuild_after_the_asset_pipeline_changes_is_not_up_to_date(shop) -> None:  # type: ignore[no-untyped-def]
    site = shop["site"]
    pipeline = site / "build_assets.py"
    original = pipeline.read_text()
    pipeline.write_text(original.replace("rebeccapurple", "teal"))
    try:
        result = bundle("build", cwd=site, env=shop["env"])
        assert result.returncode == 0, result.stderr
        assert "up to date" not in result.stderr
        css = site / ".djdesk" / "django-bundle" / "app" / "assets" / "build" / "site.css"
        assert "teal" in css.read_text()
        wait_until_gone("django-bundle.discard-*", site / ".djdesk")
    finally:
        pipeline.write_text(original)


def copy_site(shop, name: str) -> Path:  # type: ignore[no-untyped-def]
    copy = shop["root"] / name
    shutil.copytree(shop["site"], copy, symlinks=True, ignore=shutil.ignore_patterns(".djdesk"))
    return copy


def test_a_start_page_that_raises_fails_the_build_in_the_smoke_stage(shop) -> None:  # type: ignore[no-untyped-def]
    site = copy_site(shop, "broken")
    views = site / "shop" / "views.py"
    views.write_text(
        views.read_text().replace(
            "    return render(", "    raise RuntimeError('the shop is closed')\n    return render("
        )
    )
    git_commit_all(site)
    result = bundle("build", cwd=site, env=shop["env"])
    assert result.returncode == 15, result.stderr
    assert "smoke: GET / answered 500" in result.stderr
    assert "RuntimeError: the shop is closed" in result.stderr  # the traceback from the log
    assert "Traceback (most recent call last)" in result.stderr  # the app's, from its log
    assert not (site / ".djdesk" / "django-bundle").exists()  # nothing published


def test_a_generated_asset_that_is_not_included_is_caught_by_the_smoke_stage(shop) -> None:  # type: ignore[no-untyped-def]
    site = copy_site(shop, "no-include")
    configure(site, TABLE.replace('"assets/build/**", ', ""))
    result = bundle("build", cwd=site, env=shop["env"])
    assert result.returncode == 15, result.stderr
    assert "/static/build/site.css, referenced by the pages, answered 404" in result.stderr


def test_a_tracked_link_to_an_ignored_secret_is_refused(shop) -> None:  # type: ignore[no-untyped-def]
    site = copy_site(shop, "leaky")
    (site / ".env").write_text("STRIPE_KEY=do-not-ship\n")
    with (site / ".gitignore").open("a") as ignore:
        ignore.write(".env\n")
    os.symlink(".env", site / "config_link.txt")
    git_commit_all(site)
    result = bundle("build", cwd=site, env=shop["env"])
    assert result.returncode == 14, result.stderr
    assert "config_link.txt" in result.stderr and ".env" in result.stderr
    assert "Traceback" not in result.stderr
    files = bundle("files", "--left-out", cwd=site, env=shop["env"])
    assert files.returncode == 14  # the same refusal, without building


def test_an_untracked_secret_never_ships_and_is_named(shop) -> None:  # type: ignore[no-untyped-def]
    site = copy_site(shop, "untracked")
    (site / "secrets.json").write_text('{"token": "x"}\n')
    (site / ".env.production").write_text("SECRET=1\n")
    subprocess.run(["git", "status"], cwd=site, capture_output=True, check=True)
    result = bundle("build", cwd=site, env=shop["env"])
    assert result.returncode == 0, result.stderr
    assert "untracked file(s)" in result.stderr and "secrets.json" in result.stderr
    app = site / ".djdesk" / "django-bundle" / "app"
    assert not (app / "secrets.json").exists() and not (app / ".env.production").exists()
    sums = (site / ".djdesk" / "django-bundle" / "SHA256SUMS").read_text()
    assert "secrets.json" not in sums and ".env" not in sums


MIGRATION = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Order",
            fields=[("id", models.AutoField(primary_key=True)), ("total", models.IntegerField())],
        )
    ]
"""


def test_the_template_database_is_reused_until_a_migration_changes(shop) -> None:  # type: ignore[no-untyped-def]
    """A view change rebuilds without migrating again; a new migration migrates."""
    site = copy_site(shop, "template")
    payload = site / ".djdesk" / "django-bundle"
    first = bundle("build", cwd=site, env=shop["env"])
    assert first.returncode == 0, first.stderr
    assert "template-db (cached)" in first.stderr  # the same inputs as the shop's build
    views = site / "shop" / "views.py"
    views.write_text(views.read_text().replace("def search(", "def search(  # a view change\n"))
    changed_view = bundle("build", cwd=site, env=shop["env"])
    assert changed_view.returncode == 0, changed_view.stderr
    assert "template-db (cached)" in changed_view.stderr
    (site / "shop" / "migrations").mkdir()
    (site / "shop" / "migrations" / "__init__.py").write_text("")
    (site / "shop" / "migrations" / "0001_initial.py").write_text(MIGRATION)
    git_commit_all(site)
    migrated = bundle("build", cwd=site, env=shop["env"])
    assert migrated.returncode == 0, migrated.stderr
    assert "template-db (cached)" not in migrated.stderr and "✓ template-db" in migrated.stderr
    import sqlite3

    with sqlite3.connect(payload / "template.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "shop_order" in tables
    wait_until_gone("django-bundle.discard-*", site / ".djdesk")
