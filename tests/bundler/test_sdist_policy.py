"""Dependencies without wheels (build/install.py), with the real uv and the package index:
refused unless allowlisted with build-sdists, a web server named as what the desktop
runtime replaces, an allowlisted pure-Python sdist built and installed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from djdesk_bundle.build.install import LockedRequirements, install_requirements
from djdesk_bundle.errors import InstallError
from djdesk_bundle.tools.toolchain import host_triple
from djdesk_bundle.tools.uv import find_uv

HOST = host_triple()

PYTHON = "3.11"


def hash_pinned(requirement: str, cwd: Path) -> LockedRequirements:
    spec = cwd / "spec.in"
    spec.write_text(requirement + "\n")
    argv = [find_uv(), "pip", "compile", "-q", "--generate-hashes", "--no-header"]
    result = subprocess.run(
        [*argv, "--python-version", PYTHON, str(spec)], capture_output=True, text=True, cwd=cwd
    )
    if result.returncode != 0:
        pytest.skip(f"the package index is not reachable: {result.stderr.strip()[-200:]}")
    lock = cwd / "requirements.txt"
    lock.write_text(result.stdout)
    return LockedRequirements("requirements.txt", lock, result.stdout)


def test_a_web_server_without_wheels_is_named_as_what_the_runtime_replaces(
    tmp_path: Path,
) -> None:
    locked = hash_pinned("uwsgi==2.0.28", tmp_path)
    with pytest.raises(InstallError) as error:
        install_requirements(find_uv(), locked, tmp_path / "site", host_triple(), PYTHON, tmp_path)
    message = str(error.value).splitlines()[0]
    assert "it is a web server, and the desktop runtime serves the app itself" in message


def test_an_sdist_only_dependency_names_the_option_then_builds_when_allowed(
    tmp_path: Path,
) -> None:
    locked = hash_pinned("docopt==0.6.2", tmp_path)
    with pytest.raises(InstallError) as error:
        install_requirements(
            find_uv(), locked, tmp_path / "refused", host_triple(), PYTHON, tmp_path
        )
    assert 'build-sdists = ["docopt"]' in str(error.value)
    assert not list((tmp_path / "refused").glob("docopt*"))
    site = tmp_path / "site"
    install_requirements(
        find_uv(), locked, site, host_triple(), PYTHON, tmp_path, build_sdists=("docopt",)
    )
    assert (site / "docopt.py").is_file() and list(site.glob("docopt-0.6.2.dist-info"))


def test_an_allowlisted_name_the_lock_does_not_pin_is_refused(tmp_path: Path) -> None:
    locked = hash_pinned("docopt==0.6.2", tmp_path)
    with pytest.raises(InstallError, match="build-sdists names uwsgi"):
        install_requirements(
            find_uv(),
            locked,
            tmp_path / "s",
            host_triple(),
            PYTHON,
            tmp_path,
            build_sdists=("uwsgi",),
        )


def test_a_compiled_wheel_built_here_ships_only_where_the_interpreter_runs(
    tmp_path: Path,
) -> None:
    """A compiled wheel built here from an allowlisted sdist is refused for a target whose
    interpreter does not run here (Interpreter.runs_here, the answer every stage asks).
    Before, the check never refused anything: it took "name-1.0.dist" for the name of
    "name-1.0.dist-info", which no allowlisted name matched."""
    import sys

    from djdesk_bundle.build.extract import Interpreter
    from djdesk_bundle.build.install import check_built_sdists

    info = tmp_path / "fastthing-1.0.dist-info"
    info.mkdir()
    (info / "WHEEL").write_text("Wheel-Version: 1.0\nRoot-Is-Purelib: false\n")
    python = Path(sys.executable)
    here = Interpreter(tmp_path, python, host_triple(), HOST, compile_wanted=False, cache_key="")
    check_built_sdists(tmp_path, ("FastThing",), here)
    other = "aarch64-apple-darwin" if "linux" in host_triple() else "x86_64-unknown-linux-gnu"
    cross = Interpreter(tmp_path, python, other, HOST, compile_wanted=False, cache_key="")
    with pytest.raises(InstallError, match=f"fastthing was built from its sdist.*not on {other}"):
        check_built_sdists(tmp_path, ("FastThing",), cross)
    check_built_sdists(tmp_path, (), cross)  # not built here: a wheel from the index
