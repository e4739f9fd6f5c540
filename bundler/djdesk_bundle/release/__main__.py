"""``python -m djdesk_bundle.release COMMAND``: the release steps of the published actions.

Exit codes: 0 ok, 1 the step failed (each problem annotated), 2 usage.

    plan | keychain | collect | sboms     (inputs as INPUT_* variables; action.py)
    gather --output DIR TARGET_DIR...     every target's files, the feeds merged
    merge-feeds --output DIR FEED...      the feeds alone
    check RELEASE [--version V] [--signed]
    draft RELEASE --tag vX.Y.Z [--title T]   create or update the draft release (gh)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import yaml

from djdesk_bundle.release import action
from djdesk_bundle.release.check import SUMS, check_release
from djdesk_bundle.release.dists import check_dists
from djdesk_bundle.release.draft import DraftError, draft_release
from djdesk_bundle.release.feeds import Feed, FeedConflict, merge_files
from djdesk_bundle.release.gather import gather
from djdesk_bundle.release.runner import annotate, table, write_outputs, write_summary

STEPS: dict[str, Callable[[Mapping[str, str]], dict[str, str]]] = {
    "plan": action.cmd_plan,
    "keychain": action.cmd_keychain,
    "collect": action.cmd_collect,
    "sboms": action.cmd_sboms,
}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m djdesk_bundle.release")
    commands = root.add_subparsers(dest="command", required=True)
    for name in STEPS:
        commands.add_parser(name, help=f"the {name} step (inputs as INPUT_* variables)")
    gather_cmd = commands.add_parser("gather", help="gather every target's release files")
    gather_cmd.add_argument("targets", nargs="+", type=Path, help="one directory per build job")
    gather_cmd.add_argument("--output", type=Path, required=True)
    merge_cmd = commands.add_parser("merge-feeds", help="merge update feeds by name")
    merge_cmd.add_argument("feeds", nargs="+", type=Path)
    merge_cmd.add_argument("--output", type=Path, required=True)
    check_cmd = commands.add_parser("check", help="check a release directory before upload")
    check_cmd.add_argument("release", type=Path, help="the directory whose files are uploaded")
    check_cmd.add_argument("--version", help="the version every feed must offer")
    check_cmd.add_argument("--signed", action="store_true", help="every asset must be signed")
    dists_cmd = commands.add_parser("check-dists", help="check the tool's sdist and wheel")
    dists_cmd.add_argument("directory", type=Path, help="where `uv build` wrote them")
    draft_cmd = commands.add_parser("draft", help="create or update the draft release")
    draft_cmd.add_argument("release", type=Path, help="the checked release directory")
    draft_cmd.add_argument("--tag", required=True)
    draft_cmd.add_argument("--title", default="")
    return root


def run_check_dists(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    problems = check_dists(args.directory)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
        annotate("error", problem)
    names = sorted(p.name for p in args.directory.iterdir() if p.is_file())
    verdict = f"{len(problems)} problem(s)" if problems else "metadata complete, the shell inside"
    listed = "\n".join(f"- `{name}`" for name in names)
    write_summary(env, f"### The tool's distributions: {verdict}\n\n{listed}")
    return 1 if problems else 0


def run_draft(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    files = sorted(p for p in args.release.iterdir() if p.is_file())
    done = draft_release(args.tag, args.title or args.tag, files, env.get("DJDESK_GH", "gh"))
    print(f"draft release {args.tag}: {done} with {len(files)} asset(s)")
    write_summary(env, f"### Draft release {args.tag}\n\n{done}, {len(files)} asset(s)")
    return 0


def feeds_summary(output: Path, feeds: Mapping[str, Feed]) -> str:
    rows = [
        (f"`{name}`", str(feed["version"]), str(len(feed["files"]))) for name, feed in feeds.items()
    ]
    files = sum(1 for p in output.iterdir() if p.is_file())
    return f"### Gathered into `{output}`: {files} file(s)\n\n" + table(
        ("feed", "version", "files"), rows
    )


def run_gather(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    if args.command == "gather":
        feeds = gather(args.targets, args.output)
    else:
        feeds = merge_files(args.feeds, args.output)
    for name, feed in feeds.items():
        print(f"{name}: {feed['version']}, {len(feed['files'])} file(s)")
    write_summary(env, feeds_summary(args.output, feeds))
    return 0


def run_check(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    problems = check_release(args.release, args.version, args.signed)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
        where = args.release / problem.file if problem.file else None
        annotate("error", problem.message, where, problem.line)
    verdict = (
        f"{len(problems)} problem(s)"
        if problems
        else f"every feed url is an asset, {SUMS} lists every asset"
    )
    write_summary(env, f"### Release check of `{args.release}`\n\n{verdict}")
    if problems:
        return 1
    print(f"{args.release}: {verdict}")
    return 0


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    try:
        if args.command in STEPS:
            write_outputs(env, STEPS[args.command](env))
            return 0
        if args.command == "check":
            return run_check(args, env)
        if args.command == "check-dists":
            return run_check_dists(args, env)
        if args.command == "draft":
            return run_draft(args, env)
        return run_gather(args, env)
    except action.ActionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        annotate("error", str(exc), exc.file, exc.line)
    except (
        FeedConflict,
        DraftError,
        OSError,
        KeyError,
        ValueError,
        yaml.YAMLError,
        subprocess.CalledProcessError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        annotate("error", str(exc))
    return 1


if __name__ == "__main__":
    sys.exit(main())
