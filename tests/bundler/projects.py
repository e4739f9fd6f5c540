"""Real third-party Django projects, made by the tests in temporary folders from PyPI
(through uv), the way their own users make them:

- ``make_wagtail_site``: ``wagtail start`` (Wagtail 7.0 on Django 5.2): split settings
  ``base/dev/production``, a ``requirements.txt`` of ranges, no pyproject, a git repository.
- ``make_allauth_site``: ``django-admin startproject`` reshaped to split settings
  ``base/dev/production``, with django-allauth (an app with templates and static files),
  a hash-pinned ``requirements.txt`` that includes ``requirements/base.txt`` with ``-r``,
  and a ``requirements/dev.txt`` that must not ship. Not a git repository.

``boot_checks`` is for the desktop runtime's tests: it boots a payload from a read-only
copy with a fresh data dir and fetches pages.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from djdesk_bundle.tools.uv import find_uv
from tests.processes import minimal_env, own_group, payload_python, stop_process_tree

WAGTAIL = "wagtail>=7.0,<7.1"
DJANGO = "django>=5.2,<5.3"
ALLAUTH = "django-allauth>=65.0,<66"


def uv(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        [find_uv(), *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"uv {' '.join(args)}:\n{result.stderr}"
    return result.stdout


def git_commit_all(root: Path) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    for argv in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "site"]):
        subprocess.run(["git", *argv], cwd=root, env=env, check=True, capture_output=True)


def make_wagtail_site(root: Path, name: str = "mysite") -> Path:
    """``wagtail start NAME`` in ``root/NAME``, committed to a new git repository."""
    site = root / name
    site.mkdir(parents=True)
    uv("tool", "run", "--from", WAGTAIL, "--with", DJANGO, "wagtail", "start", name, str(site),
       cwd=root)  # fmt: skip
    git_commit_all(site)
    return site


BASE_SETTINGS_EXTRA = """

# django-allauth: accounts with their own templates and static files.
INSTALLED_APPS += ["allauth", "allauth.account"]
MIDDLEWARE += ["allauth.account.middleware.AccountMiddleware"]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
STATIC_ROOT = BASE_DIR / "staticfiles"
"""

DEV_SETTINGS = """\
from .base import *  # noqa: F403

DEBUG = True
ALLOWED_HOSTS = ["*"]
"""

PRODUCTION_SETTINGS = """\
import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", SECRET_KEY)  # noqa: F405
ALLOWED_HOSTS = ["deskauth.example.com"]
"""


def _split_settings(package: Path) -> None:
    """settings.py -> settings/{base,dev,production}.py, as many real projects do."""
    original = (package / "settings.py").read_text()
    base = original.replace(
        "Path(__file__).resolve().parent.parent", "Path(__file__).resolve().parent.parent.parent"
    )
    folder = package / "settings"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "base.py").write_text(base + BASE_SETTINGS_EXTRA)
    (folder / "dev.py").write_text(DEV_SETTINGS)
    (folder / "production.py").write_text(PRODUCTION_SETTINGS)
    (package / "settings.py").unlink()


def _hash_pinned(requirement: str, cwd: Path, *extra: str) -> str:
    """One requirement compiled with hashes (``extra``: e.g. --no-deps)."""
    spec = cwd / "spec.in"
    spec.write_text(requirement + "\n")
    try:
        return uv("pip", "compile", "--quiet", "--generate-hashes", "--no-header",
                  "--python-version", "3.11", *extra, str(spec), cwd=cwd)  # fmt: skip
    finally:
        spec.unlink()


def make_allauth_site(root: Path, name: str = "deskauth") -> Path:
    """A startproject site with split settings, django-allauth and hash-pinned
    requirements with a ``-r`` include (no pyproject, not a git repository)."""
    site = root / name
    site.mkdir(parents=True)
    uv("tool", "run", "--from", DJANGO, "django-admin", "startproject", name, str(site),
       cwd=root)  # fmt: skip
    package = site / name
    _split_settings(package)
    for launcher in ("manage.py", f"{name}/wsgi.py", f"{name}/asgi.py"):
        path = site / launcher
        path.write_text(path.read_text().replace(f"'{name}.settings'", f"'{name}.settings.dev'"))
    urls = package / "urls.py"
    urls.write_text(
        urls.read_text()
        .replace("from django.urls import path", "from django.urls import include, path")
        .replace(
            "path('admin/', admin.site.urls),",
            "path('admin/', admin.site.urls),\n    path('accounts/', include('allauth.urls')),",
        )
    )
    requirements = site / "requirements"
    requirements.mkdir()
    (requirements / "base.txt").write_text(_hash_pinned(DJANGO, site))
    (requirements / "dev.txt").write_text("-r base.txt\ndjango-debug-toolbar\n")
    (site / "requirements.txt").write_text(
        "# Production: the base requirements and the accounts app.\n-r requirements/base.txt\n"
        + _hash_pinned(ALLAUTH, site, "--no-deps")
    )
    return site


def pinned_versions(lock_text: str) -> dict[str, str]:
    return {
        m["name"].lower(): m["version"]
        for m in re.finditer(r"^(?P<name>[A-Za-z0-9_.\-]+)==(?P<version>\S+)", lock_text, re.M)
    }


def read_only_copy(payload: Path, destination: Path) -> Path:
    """A copy of the payload that nobody may write (like an installed app)."""
    shutil.copytree(payload, destination, symlinks=True)
    for path in [destination, *destination.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return destination


TOKEN = "desktop-test-token"


class Session:
    """A browser-like client of a booted payload: the session token on every request,
    cookies kept, redirects followed; ``get``/``post`` return (status, body, final URL)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        self.opener.addheaders = [("X-DJDesk-Token", TOKEN)]

    def request(
        self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, str]:
        request = urllib.request.Request(self.url + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read(), response.url
        except urllib.error.HTTPError as error:
            return error.code, error.read(), self.url + path

    def get(self, path: str) -> tuple[int, bytes, str]:
        return self.request(path)

    def cookie(self, name: str) -> str:
        jar = next(
            h for h in self.opener.handlers if isinstance(h, urllib.request.HTTPCookieProcessor)
        )
        return next((c.value for c in jar.cookiejar if c.name == name), "")

    def post_form(
        self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None
    ) -> tuple[int, bytes, str]:
        """A multipart form with the CSRF token Django set, as a browser posts it."""
        boundary = "djdesk-test-boundary"
        parts = []
        for name, value in {**fields, "csrfmiddlewaretoken": self.cookie("csrftoken")}.items():
            disposition = f'Content-Disposition: form-data; name="{name}"'
            parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
        for name, (filename, content) in (files or {}).items():
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            )
            parts.append(head.encode() + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Referer": self.url + path,
        }
        return self.request(path, body, headers)


def launcher_argv(payload: Path) -> list[str]:
    return [str(payload_python(payload)), "-I", str(payload / "run_django.py")]


def payload_env(data_dir: Path, **extra: str) -> dict[str, str]:
    return minimal_env(DJDESK_DATA_DIR=str(data_dir), DJDESK_SESSION_TOKEN=TOKEN, **extra)


@contextmanager
def booted(payload: Path, data_dir: Path) -> Iterator[Session]:
    """``payload`` booted from a read-only copy (like an installed app) with ``data_dir``."""
    copy = read_only_copy(payload, data_dir.parent / f"{payload.name}-read-only")
    process = subprocess.Popen(
        [*launcher_argv(copy), "--host", "127.0.0.1", "--port", "0"],
        env=payload_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **own_group(),
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line.startswith("DJDESK_READY "):
            process.kill()
            raise AssertionError(f"no DJDESK_READY line: {process.communicate()[1][-3000:]}")
        yield Session(line.split()[1])
    finally:
        stop_process_tree(process)
        _remove_read_only(copy)


def boot_checks(payload: Path, data_dir: Path, paths: dict[str, int]) -> dict[str, int]:
    """Boot ``payload`` (read-only copy, fresh ``data_dir``) and GET each path: {path: status}."""
    with booted(payload, data_dir) as session:
        return {path: session.get(path)[0] for path in paths}


def manage(
    payload: Path, data_dir: Path, *argv: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """A management command on the installed app's data, as the docs say to run one."""
    return subprocess.run(
        [*launcher_argv(payload), "--manage", *argv],
        env=payload_env(data_dir, **env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _remove_read_only(tree: Path) -> None:
    for path in [tree, *tree.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    shutil.rmtree(tree)


COMPRESSOR = "django-compressor>=4.5,<5"
SDIST_ONLY = "docopt==0.6.2"  # published only as an sdist (pure Python)

SHOP_SETTINGS_EXTRA = """

# What this shop's own deployment does, and a desktop build must do too.
INSTALLED_APPS += ["compressor", "shop"]
STATICFILES_DIRS = [BASE_DIR / "assets"]  # the asset pipeline writes assets/build/
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "compressor.finders.CompressorFinder",
]
COMPRESS_ENABLED = True
COMPRESS_OFFLINE = True  # `manage.py compress` at build time, as its Dockerfile does
from .local_settings import *  # noqa: E402,F403 - written by the deploy docs, git-ignored
"""

SHOP_VIEWS = """\
import sqlite3
from pathlib import Path

import docopt
from django.http import JsonResponse
from django.shortcuts import render

INDEX = Path(__file__).resolve().parent / "data" / "search.sqlite3"


def index(request):
    return render(request, "shop/index.html", {"docopt": docopt.__version__})


def search(request):
    with sqlite3.connect(f"file:{INDEX}?mode=ro", uri=True) as db:
        names = [row[0] for row in db.execute("SELECT name FROM product ORDER BY name")]
    return JsonResponse({"products": names})
"""

SHOP_TEMPLATE = """\
{% load static compress %}<!doctype html>
<html><head><title>Desk Shop</title>
<link rel="stylesheet" href="{% static 'build/site.css' %}">
{% compress js %}<script src="{% static 'shop/app.js' %}"></script>{% endcompress %}
</head><body><h1>Desk Shop</h1><p>docopt {{ docopt }}</p></body></html>
"""

ASSET_PIPELINE = """\
# The shop's asset pipeline (a stand-in for npm run build): writes assets/build/.
from pathlib import Path

out = Path(__file__).resolve().parent / "assets" / "build"
out.mkdir(parents=True, exist_ok=True)
(out / "site.css").write_text("h1 { color: rebeccapurple; }\\n")
"""


def make_shop_site(root: Path, name: str = "deskshop") -> Path:
    """A startproject shop with what real projects ship beyond git's tracked files:
    built assets (git-ignored, written by its asset pipeline), a git-ignored settings file
    its deploy docs have users write, a committed SQLite search index a view reads,
    django-compressor in offline mode, and a dependency published only as an sdist.
    Hash-pinned requirements.txt, committed to git (the built assets and the settings
    file are not)."""
    import sqlite3

    site = root / name
    site.mkdir(parents=True)
    uv("tool", "run", "--from", DJANGO, "django-admin", "startproject", name, str(site),
       cwd=root)  # fmt: skip
    settings = site / name / "settings.py"
    settings.write_text(settings.read_text() + SHOP_SETTINGS_EXTRA)
    (site / name / "local_settings.py").write_text('SHOP_CURRENCY = "EUR"\n')
    urls = site / name / "urls.py"
    urls.write_text(
        urls.read_text()
        .replace("from django.urls import path", "from django.urls import path\nfrom shop import views")  # noqa: E501
        .replace(
            "path('admin/', admin.site.urls),",
            "path('admin/', admin.site.urls),\n    path('', views.index),\n"
            "    path('search/', views.search),",
        )
    )  # fmt: skip
    shop = site / "shop"
    for folder in ("templates/shop", "static/shop", "data"):
        (shop / folder).mkdir(parents=True)
    (shop / "__init__.py").write_text("")
    (shop / "views.py").write_text(SHOP_VIEWS)
    (shop / "templates" / "shop" / "index.html").write_text(SHOP_TEMPLATE)
    (shop / "static" / "shop" / "app.js").write_text("document.title += ' (desktop)';\n")
    with sqlite3.connect(shop / "data" / "search.sqlite3") as db:
        db.execute("CREATE TABLE product (name TEXT)")
        db.executemany("INSERT INTO product VALUES (?)", [("lamp",), ("desk",)])
    db.close()
    (site / "build_assets.py").write_text(ASSET_PIPELINE)
    (site / "assets").mkdir()
    (site / "assets" / ".keep").write_text("")
    ignored = ["assets/build/", f"{name}/local_settings.py", "*.sqlite3", ".djdesk/"]
    (site / ".gitignore").write_text("\n".join(ignored) + "\n")
    (site / "requirements.txt").write_text(
        _hash_pinned(f"{DJANGO}\n{COMPRESSOR}\n{SDIST_ONLY}", site)
    )
    git_commit_all(site)
    # The index is a committed data file although *.sqlite3 is ignored (added on purpose).
    subprocess.run(["git", "add", "-f", "shop/data/search.sqlite3"], cwd=site, check=True)
    git_commit_all(site)
    return site
