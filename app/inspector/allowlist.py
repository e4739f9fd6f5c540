"""What the inspector may run: allowlisted management commands, as argv lists, nothing else.

A preset's argv is ``["manage.py", <command>, <flag or {param}>...]``. Each element must
be an allowed flag of that command or a ``{param}`` placeholder the command accepts.
Checked when a preset is saved and again right before anything is executed.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

PLACEHOLDER = re.compile(r"^\{([a-z_]+)\}$")
# Matched with fullmatch: "$" would also accept a trailing newline.
SAFE_VALUE = re.compile(r"[A-Za-z0-9_]{1,100}")


class NotAllowed(ValueError):
    """An argv, or an argument value, outside the allowlist."""


@dataclass(frozen=True)
class CommandRule:
    flags: frozenset[str]
    params: tuple[str, ...]


def rules() -> dict[str, CommandRule]:
    return {
        name: CommandRule(frozenset(rule.get("flags", ())), tuple(rule.get("params", ())))
        for name, rule in settings.INSPECTOR_SAFE_COMMANDS.items()
    }


def check_argv_template(argv: object) -> list[str]:
    """Return the preset's parameter names, or raise NotAllowed saying why."""
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        raise NotAllowed("argv must be a list of strings (never a shell string)")
    if len(argv) < 2 or argv[0] != "manage.py":
        raise NotAllowed("argv must start with manage.py and a command")
    command = argv[1]
    rule = rules().get(command)
    if rule is None:
        raise NotAllowed(f"{command!r} is not in INSPECTOR_SAFE_COMMANDS")
    params = []
    for item in argv[2:]:
        match = PLACEHOLDER.match(item)
        if match and match.group(1) in rule.params:
            params.append(match.group(1))
        elif item not in rule.flags:
            raise NotAllowed(f"{item!r} is not an allowed argument of {command}")
    return params


def render_argv(argv: list[str], values: dict[str, str]) -> list[str]:
    """Fill the placeholders; values are re-checked to be plain identifiers."""
    params = check_argv_template(argv)
    if set(values) != set(params):
        raise NotAllowed(f"expected arguments {sorted(params)}, got {sorted(values)}")
    rendered = []
    for item in argv:
        match = PLACEHOLDER.match(item)
        if match:
            value = values[match.group(1)]
            if not isinstance(value, str) or not SAFE_VALUE.fullmatch(value):
                raise NotAllowed(f"{match.group(1)}: {value!r} is not a plain identifier")
            rendered.append(value)
        else:
            rendered.append(item)
    return rendered


# The Data Lab's live kernels: the one non-manage.py command, with a fixed argv shape.
LAB_MODULE = "jupyter_server"
LAB_REQUIRED = (
    "--ServerApp.ip=127.0.0.1",
    "--ServerApp.open_browser=False",
    "--ServerApp.terminals_enabled=False",
    "--ServerApp.allow_remote_access=False",
    "--ContentsManager.allow_hidden=False",
    "--ServerApp.port_retries=0",
)
LAB_OPTIONAL = ("--ServerApp.allow_root=True",)
LAB_PORT = re.compile(r"^--ServerApp\.port=([1-9][0-9]{0,4})$")


def check_lab_argv(argv: list[str], folder: Path, lab_root: Path) -> None:
    """Our interpreter, ``-m jupyter_server``, the safety options, a port, and a root that
    is the workspace's export folder inside the Data Lab root; anything else is refused."""
    if argv[:3] != [sys.executable, "-m", LAB_MODULE]:
        raise NotAllowed(f"the lab must run as {sys.executable} -m {LAB_MODULE}")
    options = argv[3:]
    missing = [option for option in LAB_REQUIRED if option not in options]
    if missing:
        raise NotAllowed(f"the lab must run with {', '.join(missing)}")
    root = folder.resolve()
    if not root.is_relative_to(lab_root.resolve()) or root == lab_root.resolve():
        raise NotAllowed(f"the lab may only open a workspace's export folder, not {root}")
    for option in options:
        if option in LAB_REQUIRED or option in LAB_OPTIONAL or LAB_PORT.match(option):
            continue
        if option != f"--ServerApp.root_dir={root}":
            raise NotAllowed(f"{option!r} is not an allowed option of the lab server")
    if f"--ServerApp.root_dir={root}" not in options:
        raise NotAllowed("the lab must run with its root at the export folder")
