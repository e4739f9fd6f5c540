"""The desktop overrides, one by one, on plain settings dicts (no Django needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from djdesk_runtime.contract import DESKTOP_OVERRIDES
from djdesk_runtime.overrides import OVERRIDES, Desktop, apply


@pytest.fixture
def desktop(tmp_path: Path) -> Desktop:
    (tmp_path / "data").mkdir()
    return Desktop(data_dir=tmp_path / "data", payload=tmp_path / "payload")


STOCK = {  # what `startproject` and typical production settings say
    "DEBUG": True,
    "SECRET_KEY": "django-insecure-xyz",
    "ALLOWED_HOSTS": ["*"],
    "DATABASES": {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/app/db.sqlite3"},
        "archive": {"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/app/old.sqlite3"},
        "pg": {"ENGINE": "django.db.backends.postgresql", "NAME": "app"},
        "memory": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
    },
    "MEDIA_URL": "",
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
}


def test_the_contract_and_the_overrides_name_the_same_set() -> None:
    assert tuple(OVERRIDES) == DESKTOP_OVERRIDES


def test_all_overrides_make_a_stock_project_desktop_safe(desktop: Desktop) -> None:
    stock = {**STOCK, "DATABASES": dict(STOCK["DATABASES"])}
    kept = str(desktop.data_dir / "notes.sqlite3")  # a project that uses the data dir already
    stock["DATABASES"]["kept"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": kept}
    changed = apply(stock, desktop, list(DESKTOP_OVERRIDES))
    data = desktop.data_dir
    assert changed["DEBUG"] is False and changed["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]
    databases = changed["DATABASES"]
    assert databases["default"]["NAME"] == data / "db.sqlite3"
    assert databases["archive"]["NAME"] == data / "archive.sqlite3"
    assert databases["pg"]["NAME"] == "app" and databases["memory"]["NAME"] == ":memory:"
    assert databases["kept"]["NAME"] == kept
    assert databases["default"]["OPTIONS"]["timeout"] == 20
    assert changed["MEDIA_ROOT"] == data / "media" and changed["MEDIA_URL"] == "/media/"
    assert changed["SECRET_KEY"] != STOCK["SECRET_KEY"] and len(changed["SECRET_KEY"]) > 40
    assert (data / "secret_key").stat().st_mode & 0o777 == 0o600
    assert changed["SECURE_SSL_REDIRECT"] is False and changed["SECURE_HSTS_SECONDS"] == 0
    assert not changed["SESSION_COOKIE_SECURE"] and not changed["CSRF_COOKIE_SECURE"]
    assert changed["STATIC_ROOT"] == desktop.payload / "static"
    handler = changed["LOGGING"]["handlers"]["file"]
    assert handler["filename"] == data / "logs" / "django.log"
    # The key is made once per data dir and kept.
    assert apply(STOCK, desktop, ["secret-key"])["SECRET_KEY"] == changed["SECRET_KEY"]


def test_each_override_can_be_turned_off(desktop: Desktop) -> None:
    changed = apply(STOCK, desktop, ["media"])
    assert set(changed) == {"MEDIA_ROOT", "MEDIA_URL", "STORAGES"}
    # Uploads to Django's file storage are written whole or not at all (test_full_disk.py).
    assert (
        changed["STORAGES"]["default"]["BACKEND"] == "djdesk_runtime.media.AtomicFileSystemStorage"
    )
    assert apply(STOCK, desktop, []) == {}
    with pytest.raises(ValueError, match="unknown desktop overrides"):
        apply(STOCK, desktop, ["databse"])


def test_a_database_shipped_in_the_payload_is_copied_never_written_in_place(
    desktop: Desktop,
) -> None:
    shipped = desktop.payload / "app" / "db.sqlite3"
    shipped.parent.mkdir(parents=True)
    shipped.write_bytes(b"SQLite format 3\x00 shipped")
    settings = {"DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": shipped}}}
    changed = apply(settings, desktop, ["database"])
    assert changed["DATABASES"]["default"]["NAME"] == desktop.data_dir / "db.sqlite3"
    assert (desktop.data_dir / "db.sqlite3").read_bytes() == shipped.read_bytes()
    (desktop.data_dir / "db.sqlite3").write_bytes(b"the user's data")
    apply(settings, desktop, ["database"])  # a later launch never copies over the user's
    assert (desktop.data_dir / "db.sqlite3").read_bytes() == b"the user's data"


def test_a_project_logging_config_keeps_its_shape_but_writes_in_the_data_dir(
    desktop: Desktop,
) -> None:
    logging = {
        "version": 1,
        "handlers": {
            "file": {"class": "logging.FileHandler", "filename": "/srv/app/logs/site.log"},
            "console": {"class": "logging.StreamHandler"},
        },
        "root": {"handlers": ["file", "console"]},
    }
    changed = apply({"LOGGING": logging}, desktop, ["logging"])["LOGGING"]
    assert changed["handlers"]["file"]["filename"] == desktop.data_dir / "logs" / "site.log"
    assert changed["handlers"]["console"] == {"class": "logging.StreamHandler"}
    assert changed["root"] == logging["root"]
