"""Keep the action.yml of every pinned action as test data, checked against its tag.

For each ``uses: OWNER/REPO[/PATH]@SHA # TAG`` in .github/workflows/*.yml, the composite
actions (action.yml, sign/, attest/, publish/) and docs/release.md, this reads the git
history of OWNER/REPO (a local clone: nothing is downloaded), checks that TAG names
exactly SHA, and writes the action.yml at SHA to
``tests/fixtures/actions/OWNER/REPO[/PATH]/SHA.yml``; fixtures no pin uses any more are
removed. The actions a composite action pins in turn are kept too. ``tests/test_workflows.py``
checks every ``with:`` key against these files, and that every JavaScript action runs on
node24.

    git clone --bare https://github.com/actions/checkout var/actions/actions/checkout.git
    ...
    uv run python scripts/refresh_action_pins.py --mirrors var/actions [--git-dir O/R=PATH]

Exits 1 naming each pin it could not check (no clone, a tag that names another commit).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "actions"
SOURCES = [
    *sorted((REPO / ".github" / "workflows").glob("*.yml")),
    *(REPO / name / "action.yml" for name in (".", "sign", "attest", "publish")),
    REPO / "docs" / "release.md",
]
PIN = re.compile(r"uses:\s*([\w.-]+/[\w.-]+)((?:/[\w.-]+)*)@([0-9a-f]{40})\s*#\s*(v\S+)")


def pins() -> set[tuple[str, str, str, str]]:
    """(OWNER/REPO, PATH inside it, SHA, TAG) of every pinned action."""
    found = set()
    for source in SOURCES:
        for match in PIN.finditer(source.read_text(encoding="utf-8")):
            repo, path, sha, tag = match.groups()
            found.add((repo, path.strip("/"), sha, tag))
    return found


def git(git_dir: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", f"--git-dir={git_dir}", *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise LookupError(result.stderr.strip() or f"git {args[0]} failed")
    return result.stdout


def action_file(git_dir: Path, sha: str, path: str) -> str:
    for name in ("action.yml", "action.yaml"):
        try:
            return git(git_dir, "show", f"{sha}:{f'{path}/' if path else ''}{name}")
        except LookupError:
            continue
    raise LookupError(f"no action.yml at {sha} {path}")


def refresh(git_dirs: dict[str, Path]) -> list[str]:
    """Every pin's action.yml, and those of the actions a composite one pins in turn."""
    problems, written = [], set()
    queue, seen = sorted(pins()), set()
    while queue:
        repo, path, sha, tag = queue.pop(0)
        if (repo, path, sha) in seen:
            continue
        seen.add((repo, path, sha))
        git_dir = git_dirs.get(repo)
        if git_dir is None:
            problems.append(f"{repo}: no clone (--mirrors DIR/{repo}.git or --git-dir)")
            continue
        try:
            tagged = git(git_dir, "rev-parse", f"{tag}^{{commit}}").strip()
            if tagged != sha:
                problems.append(f"{repo}@{sha}: the comment says {tag}, which is {tagged}")
                continue
            text = action_file(git_dir, sha, path)
        except LookupError as exc:
            problems.append(f"{repo}@{sha} ({tag}): {exc}")
            continue
        target = FIXTURES / repo / path / f"{sha}.yml"
        target.parent.mkdir(parents=True, exist_ok=True)
        header = f"# {repo}{'/' + path if path else ''} {tag} = {sha}: its action.yml\n"
        target.write_text(header + text, encoding="utf-8")
        written.add(target)
        queue += [
            (r, p.strip("/"), s, t) for r, p, s, t in (m.groups() for m in PIN.finditer(text))
        ]
    for stale in set(FIXTURES.rglob("*.yml")) - written:
        if not problems:
            stale.unlink()
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, help="holds OWNER/REPO.git bare clones")
    parser.add_argument("--git-dir", action="append", default=[], help="OWNER/REPO=PATH")
    args = parser.parse_args(argv)
    git_dirs = {}
    if args.mirrors:
        for clone in sorted(args.mirrors.glob("*/*.git")):
            git_dirs[f"{clone.parent.name}/{clone.name.removesuffix('.git')}"] = clone
    for given in args.git_dir:
        repo, _, path = given.partition("=")
        git_dirs[repo] = Path(path)
    problems = refresh(git_dirs)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
