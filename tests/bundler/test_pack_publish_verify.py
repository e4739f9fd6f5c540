"""Deterministic archives, the staged swap and its recovery, and checksum verification."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import tarfile
import time
import zlib
from pathlib import Path

import pytest

from djdesk_bundle.build import pack
from djdesk_bundle.build.pack import STABLE_MTIME, ordered_entries, write_archive
from djdesk_bundle.build.publish import old_path, publish, recover
from djdesk_bundle.build.uptodate import previous_build, remember_build
from djdesk_bundle.cache.store import Store
from djdesk_bundle.inspect.checksums import write_checksums
from djdesk_bundle.inspect.verify import verify
from tests.processes import WINDOWS


def make_payload(root: Path, marker: str = "1") -> Path:
    for rel, text in {
        "python/bin/python3.11": "#!binary",
        "python/lib/python3.11/os.py": "os",
        "site-packages/django/__init__.py": "dj",
        "app/manage.py": marker,
        "static/inspector/app.js": "js",
        "run_django.py": "launcher",
        "sbom.cdx.json": '{"components": []}',
        "VERSION": "v",
    }.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if not WINDOWS:  # no executable bit there, and a symlink needs a privilege
        (root / "python/bin/python3.11").chmod(0o700)
        os.symlink("python3.11", root / "python/bin/python3")
    write_checksums(root)
    return root


def test_archive_is_byte_identical_despite_mtime_and_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        first = make_payload(tmp_path / "a")
    finally:
        os.umask(old)
    second = make_payload(tmp_path / "b")
    os.utime(second / "app/manage.py", (1, 1))
    digest_a = write_archive(first, tmp_path / "a.tar.gz", 1700000000)
    digest_b = write_archive(second, tmp_path / "b.tar.gz", 1700000000)
    assert digest_a == digest_b
    assert (tmp_path / "a.tar.gz.sha256").read_text() == f"{digest_a}  a.tar.gz\n"
    raw = (tmp_path / "a.tar.gz").read_bytes()
    assert raw[4:8] == b"\0\0\0\0"  # gzip header: no time


def test_archive_order_and_metadata(tmp_path: Path) -> None:
    payload = make_payload(tmp_path / "p")
    write_archive(payload, tmp_path / "p.tar.gz", 1700000000)
    with tarfile.open(tmp_path / "p.tar.gz") as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names[0] == "django-bundle"
    assert names.index("django-bundle/python") < names.index("django-bundle/site-packages")
    assert names.index("django-bundle/site-packages") < names.index("django-bundle/app")
    assert names[-1] == "django-bundle/SHA256SUMS"
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, "", "")}
    # Interpreter and dependencies carry a fixed old time, the rest the commit's.
    stable = ("django-bundle/python", "django-bundle/site-packages")
    for m in members:
        expected = (
            STABLE_MTIME if m.name == "django-bundle" or m.name.startswith(stable) else 1700000000
        )
        assert m.mtime == expected, m.name
    modes = {m.name: m.mode for m in members}
    assert modes["django-bundle/python/bin/python3.11"] == (0o644 if WINDOWS else 0o755)
    assert modes["django-bundle/app/manage.py"] == 0o644
    assert ordered_entries(payload)[0] == Path("python")


def test_verify_reports_modified_missing_extra(tmp_path: Path) -> None:
    payload = make_payload(tmp_path / "p")
    assert verify(payload).ok
    write_archive(payload, tmp_path / "p.tar.gz", 1)
    assert verify(tmp_path / "p.tar.gz").ok
    (payload / "app/manage.py").write_text("changed")
    (payload / "VERSION").unlink()
    (payload / "static/extra.js").write_text("new")
    report = verify(payload)
    assert report.modified == ["app/manage.py"]
    assert report.missing == ["VERSION"]
    assert report.extra == ["static/extra.js"]


def test_publish_replaces_and_recover_repairs_an_interrupted_swap(tmp_path: Path) -> None:
    output = tmp_path / "out"
    make_payload(output, "old")
    staging = make_payload(tmp_path / "out.staging-1", "new")
    publish(staging, output)
    assert (output / "app/manage.py").read_text() == "new"
    assert not old_path(output).exists() and not staging.exists()
    # Killed between the two renames: OUT.old exists, OUT does not.
    os.replace(output, old_path(output))
    messages = recover(output)
    assert (output / "app/manage.py").read_text() == "new"
    assert messages and "interrupted swap" in messages[0]
    # An abandoned staging dir of a dead process is removed.
    (tmp_path / "out.staging-999999999").mkdir()
    recover(output)
    assert not (tmp_path / "out.staging-999999999").exists()


def wait_until_gone(pattern: str, directory: Path) -> None:
    """The background deletion is a detached process: wait for it (a bound, not a timing
    assertion)."""
    deadline = time.monotonic() + 120
    while list(directory.glob(pattern)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not list(directory.glob(pattern))


def test_publish_hands_the_replaced_payload_to_a_background_deletion(tmp_path: Path) -> None:
    output = tmp_path / "out"
    make_payload(output, "old")
    handed: list[Path] = []
    publish(make_payload(tmp_path / "out.staging-1", "new"), output, discard=handed.append)
    # The command does not wait for the deletion: the old payload is only renamed aside,
    # to a name an interrupted-swap repair never restores.
    (aside,) = handed
    assert aside.name.startswith("out.discard-")
    assert (aside / "app/manage.py").read_text() == "old"
    assert not old_path(output).exists()
    assert (output / "app/manage.py").read_text() == "new" and verify(output).ok
    shutil.rmtree(aside)
    # The default deleter, a detached process, removes it.
    publish(make_payload(tmp_path / "out.staging-2", "newer"), output)
    assert (output / "app/manage.py").read_text() == "newer" and verify(output).ok
    wait_until_gone("out.discard-*", tmp_path)


def test_recover_finishes_deletions_cut_short_and_never_restores_them(tmp_path: Path) -> None:
    output = tmp_path / "out"
    make_payload(output, "current")
    # A deletion cut short, and a finished swap whose OUT.old was not set aside yet.
    half_deleted = make_payload(tmp_path / "out.discard-0123456789ab", "older")
    (half_deleted / "VERSION").unlink()
    make_payload(old_path(output), "old")
    handed: list[Path] = []
    assert recover(output, discard=handed.append) == []
    assert len(handed) == 2 and half_deleted in handed
    assert all(path.name.startswith("out.discard-") for path in handed)
    assert not old_path(output).exists()
    assert (output / "app/manage.py").read_text() == "current"
    # Without OUT, a discarded payload is still never what comes back.
    os.replace(output, tmp_path / "elsewhere")
    recover(output, discard=handed.append)
    assert not output.exists()
    recover(output)  # the default: deleted in the background
    wait_until_gone("out.discard-*", tmp_path)


def test_up_to_date_check_reads_no_file_of_an_untouched_payload(tmp_path: Path) -> None:
    output = make_payload(tmp_path / "out")
    archive = tmp_path / "dist" / "p.tar.gz"
    digest = write_archive(output, archive, 1)
    cache = tmp_path / "cache"
    remember_build(cache, output, "inputs", archive, digest)
    verified: list[Path] = []

    def verify_payload(payload: Path) -> bool:
        verified.append(payload)
        return verify(payload).ok

    # Untouched: the recorded stat fingerprint matches, the full verification is skipped.
    assert previous_build(cache, output, archive, "inputs", verify_payload) == digest
    assert verified == []
    # A file written (same size): its mtime changed, so the payload is read in full and
    # the change is found.
    time.sleep(0.01)  # a coarse file-system clock must tick for the mtime to differ
    (output / "app/manage.py").write_text("2")
    assert previous_build(cache, output, archive, "inputs", verify_payload) is None
    assert verified == [output]
    # A touched but unchanged file: read in full, found intact.
    (output / "app/manage.py").write_text("1")
    assert previous_build(cache, output, archive, "inputs", verify_payload) == digest
    # An added file changes the fingerprint too.
    (output / "app/extra.py").write_text("")
    assert previous_build(cache, output, archive, "inputs", verify_payload) is None
    assert len(verified) == 3


def test_every_file_is_archived_including_unlisted_top_level_dirs(tmp_path: Path) -> None:
    payload = make_payload(tmp_path / "p")
    (payload / "__pycache__").mkdir()
    (payload / "__pycache__" / "session_guard.cpython-311.pyc").write_bytes(b"pyc")
    write_checksums(payload)
    write_archive(payload, tmp_path / "p.tar.gz", 1)
    assert verify(tmp_path / "p.tar.gz").ok
    with tarfile.open(tmp_path / "p.tar.gz") as tar:
        names = tar.getnames()
    assert "django-bundle/__pycache__/session_guard.cpython-311.pyc" in names
    assert len(names) == len(set(names))


def gzip_members(archive: Path) -> list[bytes]:
    """The decompressed bytes of each gzip member."""
    data, members = archive.read_bytes(), []
    while data:
        inflater = zlib.decompressobj(wbits=31)
        members.append(inflater.decompress(data))
        data = inflater.unused_data
    return members


def test_interpreter_and_deps_are_a_separate_member_reused_from_the_cache(tmp_path: Path) -> None:
    payload = make_payload(tmp_path / "p")
    cache = tmp_path / "cache"
    plain = write_archive(payload, tmp_path / "plain.tar.gz", 1700000000)
    cold = write_archive(payload, tmp_path / "cold.tar.gz", 1700000000, cache=cache)
    (cached,) = cache.glob("*.gz")
    cached_bytes = cached.read_bytes()
    warm = write_archive(payload, tmp_path / "warm.tar.gz", 1700000000, cache=cache)
    assert plain == cold == warm  # the cache never changes the bytes
    first, second = gzip_members(tmp_path / "warm.tar.gz")
    assert b"site-packages/django/__init__.py" in first and b"app/manage.py" not in first
    assert b"app/manage.py" in second
    assert (tmp_path / "warm.tar.gz").read_bytes().startswith(cached_bytes)
    # An app change in a new commit (another SOURCE_DATE_EPOCH) reuses the same member.
    (payload / "app/manage.py").write_text("changed")
    write_checksums(payload)
    write_archive(payload, tmp_path / "next.tar.gz", 1800000000, cache=cache)
    assert list(cache.glob("*.gz")) == [cached]
    assert (tmp_path / "next.tar.gz").read_bytes().startswith(cached_bytes)
    # A dependency change makes a new member.
    (payload / "site-packages/django/__init__.py").write_text("dj 2")
    write_checksums(payload)
    write_archive(payload, tmp_path / "deps.tar.gz", 1800000000, cache=cache)
    assert len(list(cache.glob("*.gz"))) == 2


def test_the_two_member_archive_reads_everywhere(tmp_path: Path) -> None:
    payload = make_payload(tmp_path / "p")
    archive = tmp_path / "p.tar.gz"
    write_archive(payload, archive, 1700000000, cache=tmp_path / "cache")
    assert len(gzip_members(archive)) == 2
    assert len(b"".join(gzip_members(archive))) % tarfile.RECORDSIZE == 0
    with gzip.open(archive) as stream:
        assert stream.read() == b"".join(gzip_members(archive))
    out = tmp_path / "gnu"
    out.mkdir()
    # Relative names: GNU tar on a Windows runner reads "C:" as a remote host.
    subprocess.run(["tar", "-xzf", archive.name, "-C", out.name], cwd=tmp_path, check=True)
    assert (out / "django-bundle/app/manage.py").read_text() == "1"
    if not WINDOWS:
        assert os.readlink(out / "django-bundle/python/bin/python3") == "python3.11"
    assert verify(archive).ok


def test_parts_larger_than_a_chunk_are_compressed_as_several_members(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compressed on several threads, still one archive, the same bytes every time."""
    payload = make_payload(tmp_path / "p")
    (payload / "site-packages/django/big.py").write_bytes(os.urandom(9000) * 3)
    write_checksums(payload)
    whole = write_archive(payload, tmp_path / "whole.tar.gz", 1700000000)
    monkeypatch.setattr(pack, "CHUNK_BYTES", 4096)
    archive = tmp_path / "chunked.tar.gz"
    chunked = write_archive(payload, archive, 1700000000, cache=tmp_path / "cache")
    assert chunked == write_archive(payload, tmp_path / "again.tar.gz", 1700000000)
    assert chunked == write_archive(
        payload, tmp_path / "warm.tar.gz", 1700000000, cache=tmp_path / "cache"
    )
    members = gzip_members(archive)
    assert len(members) > 8 and chunked != whole
    assert b"".join(members) == b"".join(gzip_members(tmp_path / "whole.tar.gz"))
    out = tmp_path / "gnu"
    out.mkdir()
    subprocess.run(["tar", "-xzf", str(archive), "-C", str(out)], check=True)
    assert (out / "django-bundle/site-packages/django/big.py").stat().st_size == 27000
    assert verify(archive).ok


def test_a_member_found_by_key_gives_the_same_archive(tmp_path: Path) -> None:
    """Found by the trees' stage keys, the cached member is not read: the archive must
    still be what writing everything gives (the tar padding depends on its length)."""
    payload = make_payload(tmp_path / "p")
    plain = write_archive(payload, tmp_path / "plain.tar.gz", 1700000000)
    cache = tmp_path / "cache"
    for name in ("cold", "warm"):
        digest = write_archive(
            payload, tmp_path / f"{name}.tar.gz", 1700000000, cache=cache, stable_key="k1"
        )
        assert digest == plain, name
    (entry,) = cache.glob("*.gz")
    with Store(cache).open_file(entry.name) as found:
        assert found is not None
        facts = found[1]
    assert facts["length"] == len(gzip_members(tmp_path / "warm.tar.gz")[0])


def test_a_tampered_cached_member_is_not_reused(tmp_path: Path) -> None:
    payload = make_payload(tmp_path / "p")
    cache = tmp_path / "cache"
    plain = write_archive(payload, tmp_path / "plain.tar.gz", 1700000000)
    write_archive(payload, tmp_path / "cold.tar.gz", 1700000000, cache=cache, stable_key="k")
    (cached,) = cache.glob("*.gz")
    evil = gzip.compress(b"django-bundle/python/bin/python3 replaced")
    cached.write_bytes(evil)
    again = write_archive(
        payload, tmp_path / "warm.tar.gz", 1700000000, cache=cache, stable_key="k"
    )
    assert again == plain  # compressed again from the payload, not taken from the cache
    assert cached.read_bytes() != evil


def test_the_member_made_ahead_is_the_one_pack_would_write(tmp_path: Path) -> None:
    """The build's background worker compresses the interpreter + deps member into the
    pack cache once install is done (pack.store_stable_member); the archive written from
    that cache is byte for byte the one written without any cache."""
    from djdesk_bundle import contract
    from djdesk_bundle.build.pack import store_stable_member, write_archive

    payload = tmp_path / "payload"
    for part in (*contract.STABLE_PARTS, "app"):
        (payload / part / "pkg").mkdir(parents=True)
        (payload / part / "pkg" / "mod.py").write_text(f"# {part}\n" + "x = 1\n" * 5000)
    cache = tmp_path / "cache"
    store_stable_member(payload, cache, "the stage keys")
    assert list(cache.glob("*.gz"))
    ahead = write_archive(payload, tmp_path / "a" / "p.tar.gz", 1700000000, cache, "the stage keys")
    plain = write_archive(payload, tmp_path / "b" / "p.tar.gz", 1700000000)
    assert ahead == plain
