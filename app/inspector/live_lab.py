"""Optional live kernels for the Data Lab: a Jupyter server over one workspace's export
folder, as a separate process.

Only with the `data-lab` extra installed (`djdesk-bundle build --with-data-lab`); this
module never imports Jupyter itself (it asks whether the package exists without loading
it). The server's argv passes the allowlist check (`allowlist.check_lab_argv`): its root is
the export folder, it listens on 127.0.0.1 only, terminals are off, and it has a token.
Kernels run the Python the user types, as the user, like any local Jupyter.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from .allowlist import LAB_MODULE, LAB_OPTIONAL, LAB_REQUIRED, check_lab_argv
from .datalab import export_dir
from .models import Workspace
from .runner import kill_group, minimal_env, own_packages_env

START_TIMEOUT = 60.0


class LabUnavailable(Exception):
    """Live kernels cannot start; the message says why (and what to do)."""


@dataclass
class LiveLab:
    process: subprocess.Popen[bytes]
    url: str
    token: str
    folder: Path


_servers: dict[str, LiveLab] = {}
_lock = threading.Lock()


def available() -> bool:
    """Is the extra installed? (find_spec locates the package without importing it.)"""
    return importlib.util.find_spec(LAB_MODULE) is not None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def lab_argv(folder: Path, port: int) -> list[str]:
    """The argv the allowlist checks (its options are written once, there)."""
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    return [
        sys.executable,
        "-m",
        LAB_MODULE,
        f"--ServerApp.root_dir={folder}",
        f"--ServerApp.port={port}",
        *LAB_REQUIRED,
        *(LAB_OPTIONAL if as_root else ()),
    ]


def _wait_ready(lab: LiveLab) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    request = urllib.request.Request(
        lab.url + "api/status", headers={"Authorization": f"token {lab.token}"}
    )
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            raise LabUnavailable(f"the Jupyter server exited (code {lab.process.returncode})")
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                response.read()
                return
        except OSError:
            time.sleep(0.2)
    kill_group(lab.process)
    raise LabUnavailable(f"the Jupyter server did not answer within {START_TIMEOUT:.0f} s")


def start(workspace: Workspace) -> LiveLab:
    """The workspace's running lab, or a new one over its export folder."""
    if not available():
        raise LabUnavailable(
            "live kernels need the data-lab extra (djdesk-bundle build --with-data-lab, "
            "or `uv sync --extra data-lab` in development)"
        )
    folder = export_dir(workspace)
    if not folder.is_dir() or not any(folder.glob("*.ipynb")):
        raise LabUnavailable("export a notebook first: the lab opens the export folder only")
    with _lock:
        running = _servers.get(workspace.slug)
        if running and running.process.poll() is None:
            return running
        port = _free_port()
        argv = lab_argv(folder.resolve(), port)
        check_lab_argv(argv, folder, Path(settings.INSPECTOR_DATA_LAB_ROOT))
        token = secrets.token_urlsafe(24)
        jupyter_home = Path(settings.INSPECTOR_DATA_LAB_ROOT) / ".jupyter"
        env = minimal_env(
            {
                **own_packages_env(),  # the lab runs our interpreter, not the project's
                "JUPYTER_TOKEN": token,  # not on the command line, where others could read it
                "JUPYTER_CONFIG_DIR": str(jupyter_home / "config"),
                "JUPYTER_DATA_DIR": str(jupyter_home / "data"),
                "JUPYTER_RUNTIME_DIR": str(jupyter_home / "runtime"),
                "JUPYTER_PLATFORM_DIRS": "1",
            }
        )
        process = subprocess.Popen(
            argv,
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=sys.platform != "win32",
        )
        lab = LiveLab(process, f"http://127.0.0.1:{port}/", token, folder)
        _servers[workspace.slug] = lab
    _wait_ready(lab)
    return lab


def stop(workspace: Workspace) -> bool:
    with _lock:
        lab = _servers.pop(workspace.slug, None)
    if lab is None:
        return False
    kill_group(lab.process)
    return True


@atexit.register
def _stop_all() -> None:
    for lab in list(_servers.values()):
        kill_group(lab.process)
