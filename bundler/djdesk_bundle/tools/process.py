"""Running an external program and showing the end of its output.

Every child the build starts (uv, git, collectstatic, the pre-flight check, the template
database, build commands) runs through ``run``, with a time limit: a settings module that
sleeps used to hang ``check`` and ``build`` forever. On a timeout (or Ctrl-C) the child is
killed and its output pipes are closed without waiting for their end: a grandchild that
still holds them cannot keep the build waiting. The child stays in the build's process
group, so that stopping the build's group (a terminal closing, ``kill`` of the group)
stops the children too.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path

from djdesk_bundle.errors import ChildTimedOut

# The `process-timeout` option's default: a generous bound for the slowest honest step
# (uv installing a large lock on a slow link, collectstatic of a big project).
DEFAULT_TIMEOUT_SECONDS = 1800


def run(
    argv: Sequence[str],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    errors: str = "strict",
) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing text output (decoded with ``errors``); the caller decides
    what a failure means. Raises ``ChildTimedOut`` (one line) when it runs longer than
    ``timeout`` seconds."""
    command = list(argv)
    with subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors=errors,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop_child(process)
            raise ChildTimedOut(
                f"{describe(command)} did not finish within {timeout:g} s and was stopped "
                "(a child of the build that hangs: raise process-timeout if it is just slow)"
            ) from None
        except BaseException:  # Ctrl-C: nothing of the child may outlive the build
            _stop_child(process)
            raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _stop_child(process: subprocess.Popen[str]) -> None:
    """Kill the child; close the pipes rather than read them to their end, which a
    grandchild holding them would put off for as long as it lives."""
    process.kill()
    process.wait()
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def describe(command: Sequence[str], most: int = 120) -> str:
    """The command as one short line (a `-c` program shows as its first line)."""
    shown = [arg.splitlines()[0] + " …" if "\n" in arg else arg for arg in command]
    text = shlex.join([Path(shown[0]).name, *shown[1:]])
    return text if len(text) <= most else text[: most - 1] + "…"


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
