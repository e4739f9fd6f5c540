"""The one cache primitive (cache/store.py) every cache of the build uses: file entries and
trees."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from djdesk_bundle.cache.stage_trees import cached_tree, stages_store
from djdesk_bundle.cache.store import Store
from djdesk_bundle.fs.tree import tree_digest


def test_an_entry_comes_back_with_its_facts(tmp_path: Path) -> None:
    store = Store(tmp_path / "c")
    store.put_text("k", "text", source="test")
    assert store.get_text("k") == "text"
    with store.open_file("k") as found:
        assert found is not None
        handle, facts = found
        assert handle.read() == b"text"
    assert facts["source"] == "test" and len(facts["sha256"]) == 64
    assert store.get_text("other") is None


def test_an_entry_whose_bytes_changed_is_dropped(tmp_path: Path) -> None:
    store = Store(tmp_path / "c")
    store.put_text("k", "genuine")
    (tmp_path / "c" / "k").write_text("edited")
    assert store.get_text("k") is None
    assert not (tmp_path / "c" / "k").exists()  # made again by the next writer


def test_least_recently_used_entries_are_evicted(tmp_path: Path) -> None:
    store = Store(tmp_path / "c", keep=2)
    store.put_text("a", "1")
    store.put_text("b", "2")
    past = time.time() - 100
    os.utime(tmp_path / "c" / "b.record.json", (past, past))
    assert store.get_text("a") == "1"  # used: the most recent
    store.put_text("c", "3")
    assert store.get_text("b") is None and store.get_text("a") == "1" and store.get_text("c") == "3"


def test_a_cache_that_cannot_be_written_is_no_error(tmp_path: Path) -> None:
    (tmp_path / "c").write_text("a file where the cache folder would be")
    store = Store(tmp_path / "c")
    assert store.put_file("k", lambda path: path.write_text("x")) is False
    assert store.get_text("k") is None
    assert not list(tmp_path.glob("c.*"))  # no partial file left beside it


def test_a_writer_may_return_what_it_learned(tmp_path: Path) -> None:
    store = Store(tmp_path / "c")

    def write(path: Path) -> dict[str, int]:
        path.write_bytes(b"12345")
        return {"length": 5}

    assert store.put_file("m.gz", write)
    with store.open_file("m.gz") as found:
        assert found is not None and found[1]["length"] == 5


def test_an_entry_evicted_while_it_is_read_reads_on(tmp_path: Path) -> None:
    # Another build's eviction between the check and the copy once made a pack fail with
    # FileNotFoundError: the reader has the file open, not its name.
    store = Store(tmp_path / "c", keep=1)
    store.put_text("old", "the bytes being copied")
    with store.open_file("old") as found:
        assert found is not None
        Store(tmp_path / "c", keep=1).put_text("new", "written by another build")
        assert not (tmp_path / "c" / "old").exists()  # evicted meanwhile
        assert found[0].read() == b"the bytes being copied"


def test_what_killed_builds_left_is_removed_by_the_next_write(tmp_path: Path) -> None:
    # A build killed mid-write left KEY.tmp-PID files and trees behind for ever.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    root = tmp_path / "c"
    (root / f"k.tmp-{dead.pid}" / "tree").mkdir(parents=True)
    (root / f"m.gz.tmp-{dead.pid}").write_text("half a member")
    (root / f".evicted-k-{dead.pid}").mkdir()
    (root / f"n.gz.tmp-{os.getpid()}").write_text("a live build's write under way")
    Store(root).put_text("k2", "text")
    assert sorted(path.name for path in root.iterdir()) == sorted(
        [".lock", "k2", "k2.record.json", f"n.gz.tmp-{os.getpid()}"]
    )


# Tree entries (the stage trees): a folder per key, its digest recorded, moved in by one rename.


def digest(tree: Path) -> str:
    return tree_digest(tree)


def fill_with(text: str, size: int = 0):  # type: ignore[no-untyped-def]
    def fill(tree: Path) -> None:
        tree.mkdir()
        (tree / "f.txt").write_text(text + "x" * size)

    return fill


def copier(destination: Path):  # type: ignore[no-untyped-def]
    return lambda tree: shutil.copytree(tree, destination, symlinks=True)


def test_a_tree_comes_back_with_its_facts(tmp_path: Path) -> None:
    store = Store(tmp_path / "c")
    assert store.put_tree("k", fill_with("one"), digest, {"paths": 1})
    assert store.get_tree("k", copier(tmp_path / "out"), digest) == {"paths": 1}
    assert (tmp_path / "out" / "f.txt").read_text() == "one"
    assert store.get_tree("other", copier(tmp_path / "no"), digest) is None
    # Stored once: a second writer of the same key leaves the first entry as it was.
    assert not store.put_tree("k", fill_with("two"), digest, {"paths": 2})
    assert store.get_tree("k", copier(tmp_path / "again"), digest) == {"paths": 1}
    assert not list((tmp_path / "c").glob("k.tmp-*"))


def test_a_damaged_tree_is_dropped(tmp_path: Path) -> None:
    store = Store(tmp_path / "c")
    for damage in ("edit", "record"):
        store.put_tree("k", fill_with("genuine"), digest, {})
        if damage == "edit":
            (tmp_path / "c" / "k" / "tree" / "f.txt").write_text("edited")
        else:
            (tmp_path / "c" / "k" / "record.json").unlink()
        warnings: list[str] = []
        assert store.get_tree("k", copier(tmp_path / damage), digest, warnings.append) is None
        assert not (tmp_path / damage).exists() and len(warnings) == 1
        assert not (tmp_path / "c" / "k").exists()  # made again by the next writer
        assert not [p for p in (tmp_path / "c").iterdir() if p.name != ".lock"]


def test_tree_eviction_keeps_the_count_and_the_size(tmp_path: Path) -> None:
    store = Store(tmp_path / "c", keep=3, max_bytes=2500)
    for index, key in enumerate("abcd"):
        store.put_tree(key, fill_with(key, 900), digest, {})
        past = time.time() - 100 + index  # a, b, c, d: from the least recently used
        os.utime(tmp_path / "c" / key / "record.json", (past, past))
    # Four written, three kept by count, two by size (901 bytes each): c and d.
    assert sorted(p.name for p in (tmp_path / "c").iterdir() if p.name != ".lock") == ["c", "d"]
    store = Store(tmp_path / "c", keep=1)
    assert store.get_tree("c", copier(tmp_path / "used"), digest) is not None  # now the newest
    store.evict()
    assert [p.name for p in (tmp_path / "c").iterdir() if p.name != ".lock"] == ["c"]


def test_a_tree_larger_than_the_bound_is_still_kept(tmp_path: Path) -> None:
    store = Store(tmp_path / "c", max_bytes=10)
    assert store.put_tree("big", fill_with("b", 100), digest, {})
    assert store.get_tree("big", copier(tmp_path / "out"), digest) is not None


READER = """
import shutil, sys, time
from pathlib import Path
from djdesk_bundle.cache.store import Store
from djdesk_bundle.fs.tree import tree_digest

cache, out, go = (Path(arg) for arg in sys.argv[1:4])

def copy_out(tree):
    (out.parent / "copying").write_text("")
    while not go.exists():  # the test evicts meanwhile
        time.sleep(0.02)
    shutil.copytree(tree, out, symlinks=True)

facts = Store(cache, keep=1).get_tree("used", copy_out, tree_digest)
print(facts)
"""


def test_an_entry_a_build_copies_out_is_not_evicted_under_it(tmp_path: Path) -> None:
    """A real second process copies an entry out while this one stores more than the bound:
    its copy completes, and the eviction it held off happens at the next write."""
    store = Store(tmp_path / "c", keep=1)
    store.put_tree("used", fill_with("in use", 100_000), digest, {"paths": 1})
    go = tmp_path / "go"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(tmp_path / "c"), str(tmp_path / "out"), str(go)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "copying").exists():
            assert reader.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        assert store.put_tree("newer", fill_with("newer"), digest, {})  # over the bound
        assert (tmp_path / "c" / "used").is_dir()  # not evicted while it is read
        go.write_text("")
        out, _ = reader.communicate(timeout=60)
    finally:
        reader.kill()
        reader.wait()
    assert reader.returncode == 0 and out.strip() == "{'paths': 1}"
    assert (tmp_path / "out" / "f.txt").read_text() == "in use" + "x" * 100_000
    os.utime(tmp_path / "c" / "used" / "record.json", (0, 0))  # the least recently used
    assert store.put_tree("newest", fill_with("newest"), digest, {})
    assert sorted(p.name for p in (tmp_path / "c").iterdir() if p.name != ".lock") == ["newest"]


def test_a_stage_whose_entry_was_evicted_is_made_again(tmp_path: Path) -> None:
    calls: list[str] = []

    def produce(destination: Path) -> dict[str, int]:
        calls.append(destination.name)
        destination.mkdir()
        (destination / "f").write_text(destination.name)
        return {}

    for name in ("a", "b", "c"):  # a, b: two entries, the bound is 24
        cached_tree(tmp_path / "cache", name, tmp_path / name, produce)
    stages_store(tmp_path / "cache").drop("a")
    assert cached_tree(tmp_path / "cache", "a", tmp_path / "a2", produce) == (False, {})
    assert cached_tree(tmp_path / "cache", "b", tmp_path / "b2", produce) == (True, {})
    assert calls == ["a", "b", "c", "a2"]
