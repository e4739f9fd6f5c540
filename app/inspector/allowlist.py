"""What the inspector may run: allowlisted management commands, as argv lists, nothing else.

A preset's argv is ``["manage.py", <command>, <flag or {param}>...]``. Each element must
be an allowed flag of that command or a ``{param}`` placeholder the command accepts.
Checked when a preset is saved and again right before anything is executed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

PLACEHOLDER = re.compile(r"^\{([a-z_]+)\}$")
SAFE_VALUE = re.compile(r"^[A-Za-z0-9_]{1,100}$")


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
            if not isinstance(value, str) or not SAFE_VALUE.match(value):
                raise NotAllowed(f"{match.group(1)}: {value!r} is not a plain identifier")
            rendered.append(value)
        else:
            rendered.append(item)
    return rendered
