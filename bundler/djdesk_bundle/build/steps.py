"""The project's own build steps: ``before-build`` (a command run in the project before
anything is read, e.g. an asset pipeline whose outputs ship through ``include``) and
``build-commands`` (management commands run on the staged payload after collectstatic,
e.g. ``compress`` for django-compressor's offline mode, ``compilemessages``)."""

from __future__ import annotations

import shlex

from djdesk_bundle.errors import AppStageError, ConfigError
from djdesk_bundle.options import Options
from djdesk_bundle.tools.process import run, tail


def before_build_argv(options: Options) -> list[str]:
    try:
        return shlex.split(options.before_build)
    except ValueError as exc:
        raise ConfigError(f"[tool.djdesk-bundle] before-build: {exc}") from None


def run_before_build(options: Options) -> None:
    """Run ``before-build`` in the project dir, with the user's environment (its tools on
    PATH); a failure stops the build with the end of its output."""
    argv = before_build_argv(options)
    if not argv:
        return
    try:
        result = run(argv, cwd=options.project_dir, timeout=options.process_timeout)
    except OSError as exc:
        raise AppStageError(
            f"before-build {options.before_build!r} could not start: {exc}"
        ) from None
    if result.returncode != 0:
        output = tail(result.stdout + "\n" + result.stderr)
        raise AppStageError(
            f"before-build {options.before_build!r} failed (exit {result.returncode}):\n{output}"
        )


def build_command_argvs(options: Options) -> list[list[str]]:
    argvs = []
    for command in options.build_commands:
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise ConfigError(f"[tool.djdesk-bundle] build-commands {command!r}: {exc}") from None
        if not argv:
            raise ConfigError("[tool.djdesk-bundle] build-commands: an empty command")
        argvs.append(argv)
    return argvs
