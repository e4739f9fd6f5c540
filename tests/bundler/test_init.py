"""``djdesk-bundle init`` on project shapes met in the wild, and its one-line refusals.
Offline and fast: small projects written here (the real ones are in test_real_projects)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from djdesk_bundle.build.outputs import check_outputs_outside_app
from djdesk_bundle.build.requirements import check_lock_is_current, expand_includes, inputs_digest
from djdesk_bundle.cli import main
from djdesk_bundle.errors import ConfigError, LockError
from djdesk_bundle.options import load_options
from djdesk_bundle.scaffold.init import ShellChoices, init_project
from djdesk_bundle.scaffold.project_scan import scan_project


def write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


# What django-admin startproject writes (only parsed here, never run).
WSGI = "from django.core.wsgi import get_wsgi_application\n\napplication = get_wsgi_application()\n"


def django_project(root: Path, package: str = "site1", settings: tuple[str, ...] = ()) -> Path:
    files = {"manage.py": "", f"{package}/__init__.py": "", f"{package}/wsgi.py": WSGI}
    if settings:
        files |= {f"{package}/settings/{name}.py": "" for name in ("__init__", *settings)}
    else:
        files[f"{package}/settings.py"] = ""
    return write(root, files)


@pytest.mark.parametrize(
    ("modules", "chosen"),
    [
        (("base", "dev", "production"), "production"),
        (("base", "local", "prod", "test"), "prod"),
        (("base", "development", "live"), "live"),
        (("base", "dev", "staging"), "staging"),  # the one that is not dev/local/test
        (("base", "local", "test", "desktop", "production"), "desktop"),
    ],
)
def test_split_settings_choose_the_production_like_module(tmp_path, modules, chosen) -> None:
    project = django_project(tmp_path, settings=modules)
    assert scan_project(project).settings_module == f"site1.settings.{chosen}"


def test_a_plain_settings_module_and_an_explicit_choice(tmp_path) -> None:
    assert scan_project(django_project(tmp_path / "a")).settings_module == "site1.settings"
    project = django_project(tmp_path / "b", settings=("base", "dev", "production"))
    assert scan_project(project, "site1.settings.dev").settings_module == "site1.settings.dev"


def test_ambiguous_split_settings_ask_for_settings(tmp_path) -> None:
    project = django_project(tmp_path, settings=("base", "dev", "staging", "qa"))
    with pytest.raises(ConfigError, match=r"pass --settings site1\.settings\.<module>"):
        scan_project(project)


def test_manage_py_one_level_down_and_src_layout(tmp_path) -> None:
    nested = django_project(tmp_path / "repo" / "web")
    scan = scan_project(tmp_path / "repo")
    assert (scan.app_dir, scan.app_package) == ("web", "site1")
    assert nested.is_dir()
    src = write(
        tmp_path / "srcrepo",
        {
            "manage.py": "",
            "src/core/__init__.py": "",
            "src/core/wsgi.py": WSGI,
            "src/core/settings.py": "",
        },
    )
    scan = scan_project(src)
    assert (scan.app_dir, scan.app_package, scan.settings_module) == (
        "src",
        "core",
        "core.settings",
    )


def test_requires_python_and_requirements_found(tmp_path) -> None:
    project = django_project(tmp_path)
    write(
        project,
        {
            ".python-version": "3.12.4\n",
            "requirements/base.txt": "django\n",
            "requirements/dev.txt": "-r base.txt\n",
            "requirements/production.txt": "-r base.txt\n",
        },
    )
    scan = scan_project(project)
    assert scan.requires_python == ">=3.12"
    assert scan.requirements == "requirements/production.txt"
    (project / "requirements/production.txt").unlink()
    assert scan_project(project).requirements == "requirements/base.txt"
    (project / "requirements.txt").write_text("django\n")
    assert scan_project(project).requirements == "requirements.txt"


def test_init_writes_the_table_and_gitignore_then_leaves_them_alone(tmp_path) -> None:
    project = django_project(tmp_path, settings=("base", "dev", "production"))
    write(project, {"requirements.txt": "django\n", ".gitignore": "*.pyc"})
    report = init_project(project)
    assert len(report.written) == 3 and not report.left_alone  # the table, .gitignore, electron/
    data = tomllib.loads((project / "pyproject.toml").read_text())
    assert data["project"]["name"] == project.name
    table = data["tool"]["djdesk-bundle"]
    assert table["settings-module"] == "site1.settings.production"
    assert table["requirements"] == "requirements.txt"
    assert table["lock"] == "requirements.lock.txt"
    assert table["output-dir"].startswith(".djdesk/") and table["dist-dir"].startswith(".djdesk/")
    assert (project / ".gitignore").read_text().splitlines()[:2] == ["*.pyc", ""]
    assert "/.djdesk/" in (project / ".gitignore").read_text().splitlines()
    before = {p.name: p.read_text() for p in (project / "pyproject.toml", project / ".gitignore")}
    again = init_project(project)
    assert not again.written and len(again.left_alone) == 4
    assert {
        p.name: p.read_text() for p in (project / "pyproject.toml", project / ".gitignore")
    } == before
    assert (project / "electron" / "main.js").is_file()
    load_options(project, {})  # what init wrote is a valid configuration


def test_init_keeps_an_existing_project_table(tmp_path) -> None:
    project = django_project(tmp_path)
    write(
        project,
        {
            "pyproject.toml": (
                '[project]\nname = "mine"\nversion = "2.0"\ndependencies = ["django"]\n'
            )
        },
    )
    report = init_project(project)
    assert any("[project] (already there)" in line for line in report.left_alone)
    data = tomllib.loads((project / "pyproject.toml").read_text())
    assert data["project"]["version"] == "2.0"
    assert "requirements" not in data["tool"]["djdesk-bundle"]  # pyproject declares the deps


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"README.md": ""}, "no manage.py in"),
        (
            {"manage.py": "", "a/wsgi.py": "", "b/wsgi.py": ""},
            "choose one with --settings a.settings or --settings b.settings",
        ),
        ({"manage.py": "", "a/urls.py": ""}, "needs a wsgi.py"),
    ],
    ids=["no-manage-py", "two-wsgi-py", "no-wsgi-py"],
)
def test_bad_projects_get_one_line_errors(tmp_path, capsys, files, message) -> None:
    project = write(tmp_path / "p", files)
    assert main(["init", "--project", str(project)]) == 2
    error = capsys.readouterr().err.strip()
    assert message in " ".join(error.split()), error
    assert "Traceback" not in error
    assert not (project / "pyproject.toml").exists()


def test_an_output_inside_the_app_dir_is_refused(tmp_path) -> None:
    project = django_project(tmp_path / "p", settings=("base", "production"))
    init_project(project)
    options = load_options(project, {})
    inside, dist = project / "build" / "payload", project / ".djdesk" / "dist"
    with pytest.raises(
        ConfigError,
        match=r'output-dir .* is inside app-dir .*: set output-dir = "\.djdesk/django-bundle"',
    ):
        check_outputs_outside_app(options, inside, dist)
    with pytest.raises(ConfigError, match="dist-dir"):
        check_outputs_outside_app(options, project / ".djdesk" / "out", project / "dist")
    check_outputs_outside_app(options, project / ".djdesk" / "out", dist)  # the tool's dir: fine
    check_outputs_outside_app(options, tmp_path / "elsewhere", tmp_path / "dist")


def test_an_output_inside_the_app_dir_fails_the_build_in_one_line(tmp_path, capsys) -> None:
    project = django_project(tmp_path / "p", settings=("base", "production"))
    init_project(project)
    code = main(["build", "--project", str(project), "--output", str(project / "site1" / "out")])
    error = capsys.readouterr().err.strip()
    assert code == 2, error
    assert "inside app-dir" in error and 'set output-dir = ".djdesk/django-bundle"' in error


def test_includes_are_inlined_and_a_stale_lock_is_refused(tmp_path) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": "-r requirements/base.txt\nextra==1.0\n",
            "requirements/base.txt": "--requirement common.txt\ndjango==5.2\n",
            "requirements/common.txt": "asgiref==3.8\n",
        },
    )
    assert expand_includes(tmp_path / "requirements.txt").split() == [
        "asgiref==3.8",
        "django==5.2",
        "extra==1.0",
    ]
    project = django_project(tmp_path, settings=("base", "production"))
    init_project(project)
    options = load_options(project, {})
    lock = project / "requirements.lock.txt"
    with pytest.raises(LockError, match="run `djdesk-bundle lock`"):
        check_lock_is_current(options, lock)
    digest = inputs_digest(project / "requirements.txt", "3.11")
    lock.write_text(f"# inputs-sha256: {digest} python 3.11\n")
    check_lock_is_current(options, lock)
    (project / "requirements" / "common.txt").write_text("asgiref==3.9\n")
    with pytest.raises(LockError, match=r"out of date with requirements\.txt"):
        check_lock_is_current(options, lock)


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and error.startswith("error:"), error
    return " ".join(error.split())


def test_a_settings_typo_is_a_one_line_error_naming_close_matches(tmp_path, capsys) -> None:
    project = django_project(tmp_path / "deskshop", package="deskshop")
    code = main(["init", "--project", str(project), "--settings", "deskshop.setings"])
    assert code == 2
    error = one_line_error(capsys)
    assert "--settings deskshop.setings: no such module" in error
    assert "did you mean deskshop.settings" in error
    assert not (project / "pyproject.toml").exists()
    assert main(["init", "--project", str(project), "--settings", "deskshp.settings"]) == 2
    assert "did you mean deskshop?" in one_line_error(capsys)


def test_a_wsgi_py_without_application_is_refused(tmp_path, capsys) -> None:
    project = django_project(tmp_path / "p")
    (project / "site1" / "wsgi.py").write_text("import os\n")
    assert main(["init", "--project", str(project)]) == 2
    assert "site1/wsgi.py defines no `application`" in one_line_error(capsys)
    (project / "site1" / "wsgi.py").write_text("def application(environ, start_response):\n  (\n")
    assert main(["init", "--project", str(project)]) == 2
    assert "not valid Python" in one_line_error(capsys)


def test_a_rerun_reports_what_is_configured_and_the_flags_it_ignored(tmp_path) -> None:
    project = django_project(tmp_path, settings=("base", "dev", "staging", "qa"))
    init_project(project, "site1.settings.qa", ShellChoices(product_name="Shop"))
    # Without --settings the scan alone could not choose: the configured module is used.
    again = init_project(project, "site1.settings.dev", ShellChoices(app_id="org.example.x"))
    notes = "\n".join(again.notes)
    assert '  settings-module = "site1.settings.qa"' in notes
    assert '  wsgi-application = "site1.wsgi:application"' in notes
    assert 'ignored --settings site1.settings.dev: settings-module is "site1.settings.qa"' in notes
    assert "ignored --app-id:" in notes and "electron/ is already there" in notes
    assert "production-like" not in notes  # no fresh guesses
    table = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["djdesk-bundle"]
    assert table["settings-module"] == "site1.settings.qa"


def test_a_configured_settings_module_that_is_gone_is_said_on_a_rerun(tmp_path, capsys) -> None:
    project = django_project(tmp_path / "p", settings=("base", "production"))
    assert main(["init", "--project", str(project), "--no-shell"]) == 0
    (project / "site1" / "settings" / "production.py").rename(
        project / "site1" / "settings" / "prod.py"
    )
    capsys.readouterr()
    assert main(["init", "--project", str(project), "--no-shell"]) == 2
    error = one_line_error(capsys)
    assert "pyproject.toml settings-module site1.settings.production: no such module" in error
    assert "did you mean site1.settings.prod" in error


def test_commands_find_the_project_upward_from_the_cwd(tmp_path, monkeypatch, capsys) -> None:
    project = django_project(tmp_path / "p", settings=("base", "production"))
    assert main(["init", "--project", str(project), "--no-shell"]) == 0
    monkeypatch.chdir(project / "site1" / "settings")
    capsys.readouterr()
    assert main(["init", "--no-shell"]) == 0  # a re-run from a subfolder: the same project
    assert "configured in " + str(project / "pyproject.toml") in capsys.readouterr().err
    assert main(["targets"]) == 0
    monkeypatch.chdir(tmp_path)
    assert main(["lock"]) == 2  # nothing upward from here: the cwd, which has no table


def test_a_comment_only_change_leaves_the_lock_current(tmp_path) -> None:
    project = django_project(tmp_path, settings=("base", "production"))
    write(project, {"requirements.txt": "django==5.2  # the web framework\n"})
    init_project(project, shell=ShellChoices(write=False))
    options = load_options(project, {})
    lock = project / "requirements.lock.txt"
    lock.write_text(
        f"# inputs-sha256: {inputs_digest(project / 'requirements.txt', '3.11')} python 3.11\n"
    )
    (project / "requirements.txt").write_text(
        "# What the shop needs\n\ndjango==5.2   # pinned: 5.2 LTS\n"
    )
    check_lock_is_current(options, lock)  # comments, blank lines and spaces: still current
    (project / "requirements.txt").write_text("django==5.2.1  # the web framework\n")
    with pytest.raises(LockError, match="out of date"):
        check_lock_is_current(options, lock)


def test_a_lock_recording_the_files_bytes_is_still_current(tmp_path) -> None:
    """Locks made before comments were ignored recorded a digest of the files' bytes."""
    project = django_project(tmp_path, settings=("base", "production"))
    write(project, {"requirements.txt": "# deps\ndjango==5.2\n"})
    init_project(project, shell=ShellChoices(write=False))
    old = inputs_digest(project / "requirements.txt", "3.11", verbatim=True)
    lock = project / "requirements.lock.txt"
    lock.write_text(f"# inputs-sha256: {old} python 3.11\n")
    check_lock_is_current(load_options(project, {}), lock)


def test_production_requirements_of_servers_and_cloud_clients_give_way_to_the_base(
    tmp_path,
) -> None:
    """A Wagtail demo's production file adds uWSGI (no wheels at all), a database driver
    and storage clients to its base: the desktop runtime replaces all of them, so init
    locks the base file and says why (it used to pick production, and the build failed)."""
    project = django_project(tmp_path)
    write(
        project,
        {
            "requirements/base.txt": "django>=5.2\nwagtail\n",
            "requirements/production.txt": (
                "-r base.txt\nuWSGI==2.0.28  # the server\npsycopg2-binary\n"
                "django-storages[boto3]\ngoogle-cloud-storage\n"
            ),
        },
    )
    scan = scan_project(project)
    assert scan.requirements == "requirements/base.txt"
    said = " ".join(scan.notes)
    assert "not requirements/production.txt" in said
    assert "django-storages, google-cloud-storage, psycopg2-binary, uwsgi" in said
    # A production file that adds something the app itself needs keeps production.
    (project / "requirements/production.txt").write_text(
        "-r base.txt\ngunicorn\ndjango-extensions\n"
    )
    assert scan_project(project).requirements == "requirements/production.txt"
