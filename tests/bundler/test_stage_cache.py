"""The stage cache is not trusted: a tree edited in the cache is rebuilt, never shipped."""

from __future__ import annotations

import os
from pathlib import Path

from djdesk_bundle.cache.stage_trees import cached_tree
from tests.bundler.conftest import build_into, bundle, needs_local_python
from tests.conftest import REPO
from tests.processes import WINDOWS

# The interpreter's os module inside its tree (python-build-standalone's layout per OS;
# the stdlib ships sourceless by default).
STDLIB_OS_PYC = "Lib/os.pyc" if WINDOWS else "lib/python3.*/os.pyc"


def make_tree(calls: list[Path]):  # type: ignore[no-untyped-def]
    def produce(destination: Path) -> dict[str, int]:
        calls.append(destination)
        (destination / "bin").mkdir(parents=True)
        (destination / "bin" / "python3.11").write_text("the real interpreter")
        if not WINDOWS:  # a symlink needs a privilege there (Windows trees have none)
            os.symlink("python3.11", destination / "bin" / "python3")
        (destination / "lib.py").write_text("print('hello')")
        return {"paths": 3}

    return produce


def test_a_hit_is_the_stored_tree(tmp_path: Path) -> None:
    calls: list[Path] = []
    assert cached_tree(tmp_path / "cache", "k", tmp_path / "a", make_tree(calls)) == (
        False,
        {"paths": 3},
    )
    assert cached_tree(tmp_path / "cache", "k", tmp_path / "b", make_tree(calls)) == (
        True,
        {"paths": 3},
    )
    assert len(calls) == 1
    assert WINDOWS or (tmp_path / "b" / "bin" / "python3").is_symlink()


def test_an_edited_cache_entry_is_rebuilt_with_a_message(tmp_path: Path) -> None:
    calls: list[Path] = []
    cached_tree(tmp_path / "cache", "k", tmp_path / "first", make_tree(calls))
    (stored,) = (tmp_path / "cache" / "stages").glob("k/tree/lib.py")
    stored.write_text("import evil")
    warnings: list[str] = []
    hit, _ = cached_tree(
        tmp_path / "cache", "k", tmp_path / "second", make_tree(calls), warnings.append
    )
    assert not hit and len(calls) == 2
    assert (tmp_path / "second" / "lib.py").read_text() == "print('hello')"  # not shipped
    assert len(warnings) == 1 and "modified since it was stored" in warnings[0]
    # The rebuilt entry replaced the tampered one.
    assert (tmp_path / "cache" / "stages" / "k" / "tree" / "lib.py").read_text() == (
        "print('hello')"
    )
    assert cached_tree(tmp_path / "cache", "k", tmp_path / "third", make_tree(calls))[0]


def test_added_files_and_changed_links_count_too(tmp_path: Path) -> None:
    calls: list[Path] = []
    cached_tree(tmp_path / "cache", "k", tmp_path / "first", make_tree(calls))
    tree = tmp_path / "cache" / "stages" / "k" / "tree"
    (tree / "sitecustomize.py").write_text("import evil")
    assert not cached_tree(tmp_path / "cache", "k", tmp_path / "second", make_tree(calls))[0]
    assert not (tmp_path / "second" / "sitecustomize.py").exists()
    if WINDOWS:
        return  # no symlinks to change
    (tree / "bin" / "python3").unlink()
    os.symlink("/usr/bin/python3", tree / "bin" / "python3")
    assert not cached_tree(tmp_path / "cache", "k", tmp_path / "third", make_tree(calls))[0]
    assert os.readlink(tmp_path / "third" / "bin" / "python3") == "python3.11"


@needs_local_python
def test_a_file_edited_in_the_cache_does_not_ship(
    built, tmp_path, local_interpreter, sample_root
) -> None:
    """A real build from the session's warm cache, after a file of the cached interpreter
    tree was edited: the stage is rebuilt, and the payload verifies with the real file."""
    (stored,) = (built["cache"] / "stages").glob(f"*/tree/{STDLIB_OS_PYC}")
    genuine = stored.read_bytes()
    stored.write_bytes(genuine + b"import this_would_run_in_every_payload")
    result = build_into(tmp_path / "out", sample_root, local_interpreter, built["cache"])
    assert result.returncode == 0, result.stderr
    assert "was modified since it was stored; rebuilding it" in result.stderr
    (shipped,) = (tmp_path / "out" / "python").glob(STDLIB_OS_PYC)
    assert shipped.read_bytes() == genuine
    assert bundle("verify", str(tmp_path / "out"), cwd=REPO).returncode == 0


def test_a_rebuild_links_the_previous_payloads_unchanged_tree(tmp_path: Path) -> None:
    calls: list[Path] = []
    cache = tmp_path / "cache"
    cached_tree(cache, "k", tmp_path / "old" / "python", make_tree(calls))
    previous = tmp_path / "old" / "python"
    hit, facts = cached_tree(cache, "k", tmp_path / "new", make_tree(calls), previous=previous)
    assert (hit, facts, len(calls)) == (True, {"paths": 3}, 1)
    linked = (tmp_path / "new" / "lib.py").stat()
    assert linked.st_ino == (previous / "lib.py").stat().st_ino  # linked, not copied
    assert WINDOWS or (tmp_path / "new" / "bin" / "python3").is_symlink()
    # Never linked to the cache: changing the new payload in place cannot reach it.
    stored = cache / "stages" / "k" / "tree" / "lib.py"
    assert linked.st_ino != stored.stat().st_ino


def test_a_previous_tree_edited_in_place_is_not_reused(tmp_path: Path) -> None:
    calls: list[Path] = []
    cache = tmp_path / "cache"
    cached_tree(cache, "k", tmp_path / "old", make_tree(calls))
    (tmp_path / "old" / "lib.py").write_text("signed in place")
    hit, _ = cached_tree(cache, "k", tmp_path / "new", make_tree(calls), previous=tmp_path / "old")
    assert hit and len(calls) == 1  # from the cache, copied
    assert (tmp_path / "new" / "lib.py").read_text() == "print('hello')"
    assert (tmp_path / "new" / "lib.py").stat().st_ino != (
        tmp_path / "old" / "lib.py"
    ).stat().st_ino
    missing = tmp_path / "nowhere"
    assert cached_tree(cache, "k", tmp_path / "third", make_tree(calls), previous=missing)[0]


def test_a_previous_tree_found_different_midway_leaves_nothing_linked(tmp_path: Path) -> None:
    """The previous tree is linked as it is hashed: a difference found after some files
    were linked (here a file added last in the walk) leaves the cache's copy alone."""
    calls: list[Path] = []
    cache = tmp_path / "cache"
    cached_tree(cache, "k", tmp_path / "old", make_tree(calls))
    (tmp_path / "old" / "bin" / "zz_added.py").write_text("import evil")
    hit, _ = cached_tree(cache, "k", tmp_path / "new", make_tree(calls), previous=tmp_path / "old")
    assert hit and len(calls) == 1  # from the cache, copied
    assert not (tmp_path / "new" / "bin" / "zz_added.py").exists()
    for name in ("lib.py", "bin/python3.11"):
        new, old = tmp_path / "new" / name, tmp_path / "old" / name
        assert new.stat().st_ino != old.stat().st_ino


def test_a_linked_tree_keeps_its_folders_modes(tmp_path: Path) -> None:
    if WINDOWS:
        return  # no POSIX modes
    calls: list[Path] = []
    cache = tmp_path / "cache"
    cached_tree(cache, "k", tmp_path / "old", make_tree(calls))
    (tmp_path / "old" / "bin").chmod(0o750)
    tree = cache / "stages" / "k" / "tree"
    (tree / "bin").chmod(0o750)  # the same tree, stored with that mode (modes are not hashed)
    hit, _ = cached_tree(cache, "k", tmp_path / "new", make_tree(calls), previous=tmp_path / "old")
    assert hit and (tmp_path / "new" / "bin").stat().st_mode & 0o777 == 0o750
    assert (tmp_path / "new" / "lib.py").stat().st_ino == (
        tmp_path / "old" / "lib.py"
    ).stat().st_ino


@needs_local_python
def test_static_files_are_collected_again_when_what_shapes_them_changes(
    built, tmp_path, local_interpreter, sample_root
) -> None:
    """A view or a migration changed: static/ is the previous payload's, linked; a static
    file, a template or the settings changed: collected again (from the session's warm
    cache otherwise, so that each build is a rebuild)."""
    from tests.bundler.conftest import build_argv, build_env, clone_repo
    from tests.bundler.test_pack_publish_verify import wait_until_gone

    repo = clone_repo(tmp_path / "repo")
    out = tmp_path / "out"
    argv = build_argv(out, local_interpreter, built["cache"])[1:]

    def rebuild(path: str, line: str) -> str:
        changed = repo / "app" / path
        changed.write_text(changed.read_text() + line)
        result = bundle(*argv, cwd=repo, env=build_env(sample_root))
        assert result.returncode == 0, result.stderr
        return result.stderr

    assert bundle(*argv, cwd=repo, env=build_env(sample_root)).returncode == 0
    css = out / "static" / "inspector" / "app.css"
    before = css.stat().st_ino
    stderr = rebuild("inspector/views.py", "# a one-line change\n")
    stderr += rebuild("inspector/migrations/0004_doc_links.py", "# a comment\n")
    assert stderr.count("✓ app (cached)") == 2
    assert css.stat().st_ino == before  # linked from the previous payload
    for path, line in (
        ("inspector/static/inspector/app.css", "/* a new rule */\n"),
        ("inspector/templates/inspector/wizard.html", "<!-- a template change -->\n"),
        ("djdesk/settings/base.py", "# a settings change\n"),
    ):
        stderr = rebuild(path, line)
        assert "✓ app (cached)" not in stderr and "✓ app" in stderr, path
    assert css.read_text().endswith("/* a new rule */\n")
    wait_until_gone("out.discard-*", tmp_path)  # the replaced payloads' links gone
    assert bundle("verify", str(out), cwd=REPO).returncode == 0


def test_the_early_install_runs_only_when_the_stage_cache_has_no_entry(tmp_path: Path) -> None:
    """uv installs the deps while extract runs only for a tree the cache does not hold; on
    a hit nothing is installed early (build/install.py early_install)."""
    from djdesk_bundle.build.install import LockedRequirements, early_install, install_key
    from djdesk_bundle.build.stage import StageContext
    from djdesk_bundle.options import load_options
    from djdesk_bundle.pins import load_manifest
    from djdesk_bundle.tools.toolchain import Toolchain
    from djdesk_bundle.ui import Reporter

    options = load_options(REPO, {"DJDESK_BUNDLE_CACHE_DIR": str(tmp_path / "cache")})
    pin = next(iter(load_manifest(options.path(options.interpreter_manifest)).pins.values()))
    # Nothing to install: the early tree is made (empty) without a cache entry...
    locked = LockedRequirements("requirements.txt", tmp_path / "requirements.txt", "")
    (tmp_path / "staging").mkdir()
    (tmp_path / "work").mkdir()
    toolchain, staging, work = Toolchain.find(), tmp_path / "staging", tmp_path / "work"
    ctx = StageContext(options, Reporter(verbosity=-1), toolchain, staging, work)
    key = install_key(ctx, pin, locked, compiles=False)
    tree = early_install(ctx, pin, locked, compiles=False)
    assert tree is not None and tree.is_dir() and tree.parent == ctx.staging
    # ... and not once the cache holds the tree for that key.
    cached_tree(options.cache_root, key, tmp_path / "site", make_tree([]))
    assert early_install(ctx, pin, locked, compiles=False) is None
