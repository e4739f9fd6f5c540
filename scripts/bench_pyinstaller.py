"""The same app built with PyInstaller onedir, for `just bench`'s side-by-side figures.

PyInstaller is an optional, bench-only dependency group (`uv run --group bench`); without
it the bench prints DJDesk's figures alone. PyInstaller runs in a virtualenv of its own
holding exactly the app's locked deps and the bench group (in the workspace's environment
it would also pack the dev tools it finds: Sphinx, Babel, cryptography). The build is
what a Django developer would run: `scripts/pyinstaller_entry.py` (migrate, then
waitress), the app and the bundler's runtime on the search path, and `--collect-all` for
the app's packages and its direct deps (Django imports apps, migrations and template tags
by name, which PyInstaller cannot see).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import subprocess
import sys
import tarfile
import time
import tomllib
import urllib.request
from pathlib import Path

from djdesk_runtime.contract import ENV

ENTRY = Path(__file__).resolve().with_name("pyinstaller_entry.py")
NAME = "inspector-pyinstaller"
APP_PACKAGES = ("djdesk", "inspector", "djdesk_runtime")


def available() -> bool:
    return importlib.util.find_spec("PyInstaller") is not None


def dependency_imports(project: Path) -> list[str]:
    """The import names of the app's direct dependencies (installed in this environment)."""
    declared = tomllib.loads((project / "app" / "pyproject.toml").read_text())["project"]
    wanted = {
        re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0].lower().replace("_", "-")
        for spec in declared["dependencies"]
    }
    return sorted(
        name
        for name, dists in importlib.metadata.packages_distributions().items()
        if any(dist.lower().replace("_", "-") in wanted for dist in dists)
    )


def export(project: Path, *selection: str) -> str:
    argv = ["uv", "export", "--frozen", "--no-emit-workspace", "--no-header", *selection]
    return subprocess.run(argv, cwd=project, check=True, capture_output=True, text=True).stdout


def environment(project: Path, work: Path) -> Path:
    """A virtualenv with the app's locked deps and PyInstaller; its python."""
    venv = work / "pyinstaller-venv"
    requirements = work / "pyinstaller-requirements.txt"
    requirements.write_text(
        export(project, "--package", "djdesk", "--no-dev")
        + export(project, "--only-group", "bench")
    )
    base_python = Path(sys.base_prefix) / "bin" / "python3"
    subprocess.run(["uv", "venv", "-q", "--python", str(base_python), str(venv)], check=True)
    install = ["uv", "pip", "install", "-q", "--python", str(venv / "bin" / "python")]
    subprocess.run([*install, "--require-hashes", "--no-deps", "-r", str(requirements)], check=True)
    return venv / "bin" / "python"


def build(project: Path, python: Path, work: Path, config: Path) -> tuple[float, Path]:
    """One whole `pyinstaller` process (the same work and config dirs make a rebuild)."""
    argv = [
        str(python),
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--onedir",
        "--log-level",
        "WARN",
        "--name",
        NAME,
        "--distpath",
        str(work / "dist"),
        "--workpath",
        str(work / "build"),
        "--specpath",
        str(work),
        "--paths",
        str(project / "app"),
        "--paths",
        str(project / "bundler"),
        *(
            arg
            for name in (*APP_PACKAGES, *dependency_imports(project))
            for arg in ("--collect-all", name)
        ),
        str(ENTRY),
    ]
    # --collect-all imports the packages in a child process that does not see --paths, and
    # the desktop settings need a data dir to import.
    env = {
        # Bytecode cached as a user's Python does (DJDesk's builds run the same way).
        **{key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"},
        "PYINSTALLER_CONFIG_DIR": str(config),
        "PYTHONPATH": os.pathsep.join(str(project / part) for part in ("app", "bundler")),
        ENV["data_dir"]: str(work / "build-data"),
    }
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env)
    return time.perf_counter() - start, work / "dist" / NAME


def archive(tree: Path, target: Path, level: int) -> int:
    """The onedir tree as a .tar.gz at DJDesk's compression level; its size."""
    with tarfile.open(target, "w:gz", compresslevel=level) as tar:
        tar.add(tree, arcname=tree.name)
    return target.stat().st_size


def boot_once(app: Path, data: Path, url_path: str) -> float:
    """Spawn the onedir app; seconds to the first 200 on ``url_path``."""
    start = time.perf_counter()
    data.mkdir(parents=True, exist_ok=True)
    with (data.parent / f"{data.name}.stderr").open("w") as log:
        process = subprocess.Popen(
            [str(app / NAME)],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env={"PATH": os.environ["PATH"], ENV["data_dir"]: str(data)},
        )
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        if not line.startswith("serving "):
            process.wait()
            stderr = (data.parent / f"{data.name}.stderr").read_text()[-2000:]
            raise RuntimeError(f"the PyInstaller app did not start ({line!r}):\n{stderr}")
        url = line.split()[1]
        with urllib.request.urlopen(url + url_path, timeout=30) as response:
            response.read()
        return time.perf_counter() - start
    finally:
        process.terminate()
        process.wait()
