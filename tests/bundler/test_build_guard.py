"""Builds never destroy what is not theirs, and two builds of one output take turns."""

from __future__ import annotations

import hashlib
import io
import subprocess
import tarfile
import time
from pathlib import Path

from filelock import FileLock

from djdesk_bundle.build.locks import dist_lock_path, output_lock_path
from djdesk_bundle.inspect.report import report_path
from djdesk_runtime.contract import interpreter_path
from tests.bundler.conftest import (
    HOST_TRIPLE,
    build_argv,
    build_env,
    build_into,
    bundle,
    bundle_exe,
)
from tests.bundler.test_build_e2e import assert_intact, failing_build, write_manifest
from tests.conftest import REPO
from tests.processes import WINDOWS


def one_line_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and result.stderr.rstrip().endswith(errors[0]), result.stderr
    return errors[0]


def test_output_holding_user_files_is_refused(tmp_path, sample_root, local_interpreter) -> None:
    output = tmp_path / "my documents"
    output.mkdir()
    (output / "thesis.txt").write_text("years of work")
    result = build_into(output, sample_root, local_interpreter, tmp_path / "cache")
    assert "holds no previous payload" in one_line_error(result, 2)
    assert (output / "thesis.txt").read_text() == "years of work"


def test_output_overlapping_the_sources_is_refused(
    tmp_path, sample_root, local_interpreter
) -> None:
    def lock_files() -> set[Path]:
        return {*REPO.glob("*.lock"), *REPO.glob(".*.lock"), *(REPO / "app").rglob("*.lock")}

    before = lock_files()
    for output in (REPO / "app", REPO / "app" / "inspector" / "out", REPO):
        before_names = sorted(p.name for p in output.iterdir()) if output.exists() else None
        result = build_into(output, sample_root, local_interpreter, tmp_path / "cache")
        assert "overlaps the project's sources" in one_line_error(result, 2)
        after_names = sorted(p.name for p in output.iterdir()) if output.exists() else None
        assert before_names == after_names
    # A refused build writes nothing into the project, not even its lock files.
    assert lock_files() == before


def test_a_file_as_output_is_refused(tmp_path, sample_root, local_interpreter) -> None:
    (tmp_path / "out").write_text("a file")
    result = build_into(tmp_path / "out", sample_root, local_interpreter, tmp_path / "cache")
    assert "is not a directory" in one_line_error(result, 2)


def test_truncated_interpreter_archive_is_exit_5(previous, local_interpreter, sample_root) -> None:
    (whole,) = local_interpreter.glob("*.tar.gz")
    mirror = previous.parent / "mirror"
    mirror.mkdir()
    cut = mirror / whole.name
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    manifest = write_manifest(mirror, cut.name, hashlib.sha256(cut.read_bytes()).hexdigest())
    result = failing_build(previous, manifest, mirror.as_uri(), sample_root)
    assert "truncated or not a readable tar archive" in one_line_error(result, 5)
    assert_intact(previous)


def test_host_interpreter_that_does_not_run_is_refused(previous, sample_root) -> None:
    mirror = previous.parent / "mirror"
    mirror.mkdir()
    archive = mirror / f"cpython-3.11.2+local-{HOST_TRIPLE}-install_only.tar.gz"
    executable = interpreter_path(WINDOWS)
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in {
            executable: b"not an interpreter",
            "python/lib/x": b"",
        }.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
    manifest = write_manifest(
        mirror, archive.name, hashlib.sha256(archive.read_bytes()).hexdigest()
    )
    result = failing_build(previous, manifest, mirror.as_uri(), sample_root)
    assert f"no runnable {executable}" in one_line_error(result, 5)
    assert_intact(previous)


def test_two_concurrent_builds_take_turns(tmp_path, built, sample_root, local_interpreter) -> None:
    """Two real build processes into one output and dist: the second waits for the first,
    and what is left is one consistent payload, archive and sidecar."""
    output = tmp_path / "out"
    # Warm: the stages come from the session's cache.
    command = [*build_argv(output, local_interpreter, built["cache"]), "--force"]
    # Hold the output's lock, so that both builds are certainly running when released.
    lock = FileLock(output_lock_path(output))
    lock.acquire()
    logs = [tmp_path / f"build-{i}.log" for i in range(2)]
    processes = []
    try:
        for log in logs:
            with log.open("w") as sink:
                processes.append(
                    subprocess.Popen(
                        command, cwd=REPO, env=build_env(sample_root), stdout=sink, stderr=sink
                    )
                )
        deadline = time.monotonic() + 120
        while not all("waiting for it to finish" in log.read_text() for log in logs):
            assert time.monotonic() < deadline, [log.read_text() for log in logs]
            time.sleep(0.1)
    finally:
        lock.release()
        codes = [process.wait(timeout=600) for process in processes]
    assert codes == [0, 0], [log.read_text() for log in logs]
    assert not any("Traceback" in log.read_text() for log in logs)
    (archive,) = (tmp_path / "dist").glob("*.tar.gz")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert archive.with_name(archive.name + ".sha256").read_text() == f"{digest}  {archive.name}\n"
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == sorted(
        [
            archive.name,
            archive.name + ".sha256",
            report_path(archive).name,  # the build report, beside the archive
            dist_lock_path(tmp_path / "dist").name,
        ]
    )
    assert bundle("verify", str(output), cwd=REPO).returncode == 0
    assert bundle("verify", str(archive), cwd=REPO).returncode == 0
    assert [p.name for p in tmp_path.glob("out.*")] == ["out.lock"]  # no staging dir or .old


def test_clean_waits_for_a_build_of_the_same_output(tmp_path) -> None:
    """`clean --all` while a build holds the output's lock: it says so and touches nothing
    until the build is done (it used to delete the payload from under the build)."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[tool.djdesk-bundle]\noutput-dir = "out"\ndist-dir = "dist"\n'
        f'cache-dir = "{(tmp_path / "cache").as_posix()}"\n'
    )
    (project / "app" / "site").mkdir(parents=True)
    (project / "app" / "site" / "wsgi.py").write_text("application = None\n")
    (project / "app" / "site" / "settings.py").write_text("")
    output = project / "out"
    output.mkdir()
    (output / "SHA256SUMS").write_text("")
    (output / "build-info.json").write_text("{}")  # a payload: clean --all removes only those
    (project / "dist").mkdir()
    building = FileLock(output_lock_path(output), is_singleton=False)
    building.acquire()
    try:
        clean = subprocess.Popen(
            [bundle_exe(), "clean", "--all", "--project", str(project)],
            stderr=subprocess.PIPE,
            text=True,
        )
        first = clean.stderr.readline()  # the waiting notice comes before anything is done
        assert "another build is using" in first and "waiting" in first, first
        time.sleep(0.5)
        assert clean.poll() is None and (output / "SHA256SUMS").is_file()
    finally:
        building.release()
    assert clean.wait(timeout=60) == 0, clean.stderr.read()
    assert not output.exists()


def test_a_secret_found_in_the_background_stops_the_build_in_one_line(
    tmp_path, sample_root, local_interpreter
) -> None:
    """The secret scan runs in the build's background worker: a blocking finding still
    stops the build with its one line and exit code, publishes nothing, and leaves no
    worker behind (the test run's leftover check)."""
    import shutil

    from djdesk_bundle.errors import UnsafeSource

    samples = tmp_path / "samples"
    shutil.copytree(sample_root / "djdesk", samples)
    (samples / "notes.txt").write_text("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n")
    output = tmp_path / "out"
    argv = build_argv(output, local_interpreter, tmp_path / "cache")
    env = build_env(sample_root, DJDESK_BUNDLE_SAMPLES_DIR=str(samples))
    result = bundle(*argv[1:], cwd=REPO, env=env)
    line = one_line_error(result, UnsafeSource.exit_code)
    assert "samples/notes.txt:1 (Private Key)" in line
    assert not output.exists()
