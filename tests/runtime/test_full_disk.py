"""A disk that fills up while the app runs: an upload and the log, in a child process
whose file size limit (RLIMIT_FSIZE) makes every write past it fail, as a full disk does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import WINDOWS

LIMIT = 64 * 1024

CHILD = """
import json, logging, resource, signal, sys
from pathlib import Path

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
from djdesk_runtime.overrides import Desktop, apply

data = Path(sys.argv[1])
project = json.loads(sys.argv[3])
changes = apply(project, Desktop(data, data / "payload"), ["media", "logging"])
import django
from django.conf import settings

settings.configure(**changes)
django.setup()
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

try:
    default_storage.save("uploads/big.bin", ContentFile(b"x" * (limit * 4)))
except OSError as exc:
    print("upload refused", exc.errno)
log = logging.getLogger("django.request")
for _ in range(5):
    log.error("y" * limit)
print("still running")
"""


# A project with its own LOGGING: its file handler moves to the data dir, quiet too.
PROJECT_LOGGING = {
    "LOGGING": {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"site": {"class": "logging.FileHandler", "filename": "/srv/site.log"}},
        "root": {"handlers": ["site"], "level": "INFO"},
    }
}


@pytest.mark.skipif(WINDOWS, reason="RLIMIT_FSIZE is POSIX only")
@pytest.mark.parametrize("project", [{}, PROJECT_LOGGING], ids=["own-log", "project-log"])
def test_a_full_disk_leaves_no_partial_upload_and_logging_never_raises(
    tmp_path: Path, project: dict[str, object]
) -> None:
    data = tmp_path / "data"
    result = subprocess.run(
        [sys.executable, "-B", "-c", CHILD, str(data), str(LIMIT), json.dumps(project)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "upload refused" in result.stdout and "still running" in result.stdout
    assert [p for p in (data / "media").rglob("*") if p.is_file()] == []
    assert "Traceback" not in result.stderr and "Logging error" not in result.stderr
    said = [line for line in result.stderr.splitlines() if "cannot write the log" in line]
    assert len(said) == 1 and said[0].startswith("run_django: cannot write the log ")
