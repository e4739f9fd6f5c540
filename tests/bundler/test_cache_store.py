"""The one cache primitive (cache/store.py) every cache of the build uses."""

from __future__ import annotations

import os
import time
from pathlib import Path

from djdesk_bundle.cache.store import Store


def test_an_entry_comes_back_with_its_facts(tmp_path: Path) -> None:
    store = Store(tmp_path / "c")
    store.put_text("k", "text", source="test")
    assert store.get_text("k") == "text"
    path, facts = store.get_file("k") or (None, {})
    assert path == tmp_path / "c" / "k" and facts["source"] == "test" and len(facts["sha256"]) == 64
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
    assert store.put_file("k", lambda path: path.write_text("x")) is None
    assert store.get_text("k") is None
    assert not list(tmp_path.glob("c.*"))  # no partial file left beside it


def test_a_writer_may_return_what_it_learned(tmp_path: Path) -> None:
    store = Store(tmp_path / "c")

    def write(path: Path) -> dict[str, int]:
        path.write_bytes(b"12345")
        return {"length": 5}

    found = store.put_file("m.gz", write)
    assert found is not None and found[1]["length"] == 5
    assert (store.get_file("m.gz") or (None, {}))[1]["length"] == 5
