"""Options layering, config errors, and the interpreter manifest."""

from __future__ import annotations

from pathlib import Path

import pytest

from djdesk_bundle.errors import ConfigError
from djdesk_bundle.options import load_options
from djdesk_bundle.pins import DEFAULT_MANIFEST, load_manifest
from tests.conftest import REPO


def write_project(root: Path, table: str) -> Path:
    (root / "src" / "site_pkg").mkdir(parents=True)
    (root / "src" / "site_pkg" / "wsgi.py").write_text("")
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "x"\nversion = "1.0"\n\n[tool.djdesk-bundle]\n{table}\n'
    )
    return root


def test_layers_file_then_env_then_flags(tmp_path: Path) -> None:
    root = write_project(tmp_path, 'app-dir = "src"\noutput-dir = "from-file"\nprune = ["a"]')
    options = load_options(root, {})
    assert options.output_dir == "from-file"
    assert options.app_package == "site_pkg"  # guessed from the one */wsgi.py
    assert options.settings_module == "site_pkg.settings"
    assert options.prune == ("a",)
    env = {
        "DJDESK_BUNDLE_OUTPUT_DIR": "from-env",
        "DJDESK_BUNDLE_PRUNE": "b, c",
        "DJDESK_BUNDLE_OFFLINE": "yes",
    }
    options = load_options(root, env)
    assert (options.output_dir, options.prune, options.offline) == ("from-env", ("b", "c"), True)
    options = load_options(root, env, {"output-dir": "from-flag", "offline": None})
    assert options.output_dir == "from-flag"
    assert options.offline is True  # an unset flag does not override


def test_unknown_key_names_file_and_suggests(tmp_path: Path) -> None:
    root = write_project(tmp_path, 'app-dir = "src"\noutptu-dir = "x"')
    with pytest.raises(ConfigError) as error:
        load_options(root, {})
    message = str(error.value)
    assert "pyproject.toml" in message and "'outptu-dir'" in message
    assert "did you mean 'output-dir'" in message


def test_unknown_env_var_is_named(tmp_path: Path) -> None:
    root = write_project(tmp_path, 'app-dir = "src"')
    with pytest.raises(ConfigError, match=r"DJDESK_BUNDLE_PYTHON_MIROR.*python-mirror"):
        load_options(root, {"DJDESK_BUNDLE_PYTHON_MIROR": "x"})


def test_wrong_types_and_missing_dirs(tmp_path: Path) -> None:
    root = write_project(tmp_path, 'app-dir = "src"\noffline = "maybe"')
    with pytest.raises(ConfigError, match="offline must be true or false"):
        load_options(root, {})
    (root / "pyproject.toml").write_text('[tool.djdesk-bundle]\napp-dir = "nowhere"\n')
    with pytest.raises(ConfigError, match="app-dir 'nowhere' is not a directory"):
        load_options(root, {})
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n')
    with pytest.raises(ConfigError, match="djdesk-bundle init"):
        load_options(root, {})


def test_repository_config_loads() -> None:
    options = load_options(REPO, {})
    assert options.app_package == "djdesk"
    assert options.settings_module == "djdesk.settings.desktop"


def test_pinned_manifest_has_six_targets() -> None:
    manifest = load_manifest(DEFAULT_MANIFEST)
    assert sorted(manifest.pins) == [
        "aarch64-apple-darwin",
        "aarch64-pc-windows-msvc",
        "aarch64-unknown-linux-gnu",
        "x86_64-apple-darwin",
        "x86_64-pc-windows-msvc",
        "x86_64-unknown-linux-gnu",
    ]
    pin = manifest.pin_for("x86_64-unknown-linux-gnu")
    assert pin.python_version == "3.14.7" and pin.python_minor == "3.14"
    assert pin.sha256 == "cefba034445d2875408d1fd4d5700ae6731563aeb54dcb39fd8164ab5c457533"
    assert pin.filename == (
        "cpython-3.14.7+20260814-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz"
    )
    assert pin.download_url("file:///m/") == f"file:///m/{pin.filename}"
    assert pin.download_url(None) == pin.url


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            'release = "r"\npython-version = "3.14.0"\n[targets.t]\nurl = "u"\nsha256 = ""\n',
            "needs a sha256",
        ),
        ('release = "r"\npython-version = "3.14.0"\n[targets.t]\nurl = "u"\n', "needs a sha256"),
        (
            'release = "r"\npython-version = "3.14.0"\n[targets.t]\nsha256 = "' + "a" * 64 + '"\n',
            "has no url",
        ),
        ('python-version = "3.14.0"\n', "'release' and 'python-version' are required"),
        ("not [toml", "not valid TOML"),
    ],
)
def test_manifest_fails_closed(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "m.toml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=message):
        load_manifest(path)


def test_relative_url_needs_a_mirror(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(
        'release = "r"\npython-version = "3.11.2"\n[targets.t]\n'
        f'url = "a.tar.gz"\nsha256 = "{"b" * 64}"\n'
    )
    pin = load_manifest(path).pin_for("t")
    with pytest.raises(ConfigError, match="--python-mirror"):
        pin.download_url(None)
    with pytest.raises(ConfigError, match="no interpreter pinned for target 'other'"):
        load_manifest(path).pin_for("other")


def test_shell_and_app_share_one_version(tmp_path: Path) -> None:
    import json

    from djdesk_bundle.build.source import check_shell_version
    from djdesk_bundle.options import read_app_project

    options = load_options(REPO, {})
    version = read_app_project(options).version
    assert json.loads((REPO / "electron" / "package.json").read_text())["version"] == version
    check_shell_version(options, version)
    root = write_project(tmp_path, 'app-dir = "src"\nnpm-lock = "shell/package-lock.json"')
    (root / "shell").mkdir()
    (root / "shell" / "package.json").write_text('{"version": "2.0.0"}')
    with pytest.raises(ConfigError, match=r"has version '2\.0\.0' but the app's is '1\.0'"):
        check_shell_version(load_options(root, {}), "1.0")


def test_every_project_gets_the_inspectors_prune_list_and_extend_prune_adds(
    tmp_path: Path,
) -> None:
    """The default prune list is the one the inspector ships with (it sets none of its
    own): a user's project used to ship a bigger interpreter than the inspector."""
    from djdesk_bundle.options import DEFAULT_PRUNE

    assert load_options(REPO, {}).prune_globs == DEFAULT_PRUNE
    assert {"lib/python*/pydoc_data", "lib/python*/config-*", "lib/tcl*", "bin/pip*"} <= set(
        DEFAULT_PRUNE
    )
    root = write_project(tmp_path, 'app-dir = "src"\nextend-prune = ["lib/python*/sqlite3/test"]')
    assert load_options(root, {}).prune_globs == (*DEFAULT_PRUNE, "lib/python*/sqlite3/test")


# Hostile path options (issue #27): each refused in one line before anything is read.


@pytest.mark.parametrize(
    ("table", "env", "match"),
    [
        ('lock = "../../x"', {}, r"lock = '\.\./\.\./x' is outside the project"),
        ("", {"DJDESK_BUNDLE_LOCK": "/elsewhere/important.cfg"}, "lock .* is outside"),
        ('app-dir = "/etc"', {}, r"app-dir = '/etc' is outside the project"),
        ('requirements = "../requirements.txt"', {}, "requirements .* is outside"),
        ('npm-lock = "/tmp/package-lock.json"', {}, "npm-lock .* is outside"),
        ('shell-dir = ".."', {}, "shell-dir .* is outside"),
        ('settings-module = "os"', {}, r"settings-module 'os': there is no 'os' package"),
        ('settings-module = "a b"', {}, "is not a module name"),
        ("extract-max-bytes = 1000000000000000", {}, "extract-max-bytes .* upper bound"),
        ("", {"DJDESK_BUNDLE_EXTRACT_MAX_ENTRIES": "99999999"}, "extract-max-entries"),
        ('cache-dir = ".."', {}, "cache-dir .* holds the project"),
    ],
)
def test_hostile_path_and_limit_options_are_refused(
    tmp_path: Path, table: str, env: dict[str, str], match: str
) -> None:
    table = table if table.startswith("app-dir") else f'app-dir = "src"\n{table}'
    root = write_project(tmp_path / "p", table)
    with pytest.raises(ConfigError, match=match):
        load_options(root, env)


def test_a_symlinked_app_dir_leading_outside_is_refused(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", 'app-dir = "linked"')
    (root / "linked").symlink_to("/etc")
    with pytest.raises(ConfigError, match="outside the project"):
        load_options(root, {})


def test_path_options_that_are_the_wrong_kind_of_file(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", 'app-dir = "src"\ncache-dir = "cache"')
    (root / "cache").write_text("a file, not a folder")
    with pytest.raises(ConfigError, match=r"cache-dir .* is not a directory"):
        load_options(root, {})
    (root / "dist").write_text("")
    with pytest.raises(ConfigError, match=r"dist-dir .* is not a directory"):
        load_options(root, {"DJDESK_BUNDLE_CACHE_DIR": "ok", "DJDESK_BUNDLE_DIST_DIR": "dist"})
    (root / "dist").unlink()
    (root / "manifest").mkdir()
    env = {"DJDESK_BUNDLE_CACHE_DIR": "ok", "DJDESK_BUNDLE_INTERPRETER_MANIFEST": "manifest"}
    with pytest.raises(ConfigError, match=r"interpreter-manifest .* is a directory"):
        load_options(root, env)


def test_cli_one_line_for_a_binary_manifest_and_a_foreign_lock(tmp_path: Path, capsys) -> None:
    from djdesk_bundle.cli import main

    root = write_project(tmp_path / "p", 'app-dir = "src"\ninterpreter-manifest = "m.toml"')
    (root / "m.toml").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    assert main(["targets", "--project", str(root)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: interpreter manifest") and "UTF-8" in err and "\n" not in err
    outside = tmp_path / "important.cfg"
    outside.write_text("precious = true\n")
    (root / "pyproject.toml").write_text(
        (root / "pyproject.toml").read_text().replace('interpreter-manifest = "m.toml"', "")
        + 'requirements = "requirements.txt"\nlock = "../important.cfg"\n'
    )
    (root / "requirements.txt").write_text("django\n")
    assert main(["lock", "--project", str(root)]) == 2
    assert "outside the project" in capsys.readouterr().err
    assert outside.read_text() == "precious = true\n"


def test_lock_never_overwrites_a_file_it_did_not_make(tmp_path: Path, capsys) -> None:
    from djdesk_bundle.cli import main

    root = write_project(tmp_path / "p", 'app-dir = "src"\nrequirements = "requirements.txt"')
    (root / "requirements.txt").write_text("django\n")
    (root / "pyproject.toml").write_text(
        (root / "pyproject.toml").read_text() + 'lock = "notes.cfg"\n'
    )
    (root / "notes.cfg").write_text("mine\n")
    assert main(["lock", "--project", str(root)]) == 6
    err = capsys.readouterr().err.strip()
    assert "not overwriting" in err and "\n" not in err
    assert (root / "notes.cfg").read_text() == "mine\n"
