"""The Data Lab's optional live kernels: absent without the extra (and nothing of Jupyter
imported), an allowlisted server over the export folder only when it is installed."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from http import HTTPStatus
from pathlib import Path

import pytest

from inspector import live_lab, services
from inspector.allowlist import NotAllowed, check_lab_argv
from inspector.models import Workspace
from tests.conftest import REPO

pytestmark = pytest.mark.django_db


@pytest.fixture
def atlas(client, lab: Path) -> Workspace:
    workspace = Workspace.objects.get(slug="atlas-telemetry")
    services.start_scans(workspace)
    response = client.post(
        f"/api/workspaces/{workspace.slug}/data-lab/export/",
        {"template": "schema-audit"},
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.ACCEPTED
    return workspace


def test_nothing_of_jupyter_is_imported_without_the_extra() -> None:
    code = (
        "import django; django.setup();"
        "from django.core.management import call_command; call_command('migrate', verbosity=0);"
        "import inspector.views, inspector.live_lab, inspector.datalab, inspector.tasks;"
        "from django.test import Client;"
        "Client().get('/workspaces/atlas-telemetry/');"
        "import sys, json;"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('jupyter_server', 'jupyter_client', 'ipykernel', 'zmq', 'tornado'))))"
    )
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "djdesk.settings.test"}
    env |= {"DJDESK_FLAG_DATA_LAB": "1", "PYTHONPATH": str(REPO / "app")}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == []


@pytest.mark.skipif(live_lab.available(), reason="the data-lab extra is installed here")
def test_without_the_extra_the_api_says_how_to_get_it(client, atlas: Workspace) -> None:
    url = f"/api/workspaces/{atlas.slug}/data-lab/live/"
    response = client.post(url)
    assert response.status_code == HTTPStatus.CONFLICT
    assert "data-lab extra" in response.json()["error"]
    assert client.delete(url).status_code == HTTPStatus.NOT_FOUND
    page = client.get(f"/workspaces/{atlas.slug}/")
    assert b"data-live-lab" not in page.content  # no button for what cannot run


def test_live_lab_api_errors(client, settings, lab: Path) -> None:
    assert client.post("/api/workspaces/nope/data-lab/live/").status_code == HTTPStatus.NOT_FOUND
    settings.DJDESK_FLAG_DATA_LAB = False
    response = client.post("/api/workspaces/atlas-telemetry/data-lab/live/")
    assert response.status_code == HTTPStatus.NOT_FOUND and "DJDESK_FLAG_DATA_LAB" in str(
        response.json()
    )


def test_the_lab_argv_is_allowlisted(tmp_path: Path) -> None:
    root = tmp_path / "lab"
    folder = root / "atlas-telemetry"
    folder.mkdir(parents=True)
    good = live_lab.lab_argv(folder.resolve(), 8888)
    check_lab_argv(good, folder, root)
    bad = {
        "another module": [sys.executable, "-m", "notebook", *good[3:]],
        "another interpreter": ["/usr/bin/python3", *good[1:]],
        "terminals": [o for o in good if "terminals" not in o]
        + ["--ServerApp.terminals_enabled=True"],
        "a public address": [o for o in good if "ServerApp.ip" not in o]
        + ["--ServerApp.ip=0.0.0.0"],
        "an extra option": [*good, "--ServerApp.disable_check_xsrf=True"],
        "a root elsewhere": [
            o if "root_dir" not in o else f"--ServerApp.root_dir={tmp_path}" for o in good
        ],
    }
    for name, argv in bad.items():
        with pytest.raises(NotAllowed):
            check_lab_argv(argv, folder, root)
            pytest.fail(name)
    with pytest.raises(NotAllowed, match="export folder"):
        check_lab_argv(live_lab.lab_argv(root.resolve(), 8888), root, root)


@pytest.fixture(scope="session")
def lab_packages(tmp_path_factory) -> Path:
    """The data-lab extra, installed from the lock (hashes checked) into a folder."""
    target = tmp_path_factory.mktemp("lab-extra") / "site-packages"
    export = subprocess.run(
        ["uv", "export", "--frozen", "--package", "djdesk", "--no-dev", "--no-emit-workspace",
         "--extra", "data-lab", "--no-header"],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    requirements = target.parent / "requirements.txt"
    requirements.write_text(export.stdout)
    install = subprocess.run(
        ["uv", "pip", "install", "--quiet", "--target", str(target), "--python", sys.executable,
         "--require-hashes", "--no-deps", "-r", str(requirements)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if install.returncode != 0:
        pytest.skip(f"could not install the data-lab extra: {install.stderr[-300:]}")
    return target


@pytest.mark.e2e
def test_with_the_extra_a_lab_serves_the_export_folder_only(
    client, atlas: Workspace, lab: Path, lab_packages: Path, monkeypatch
) -> None:
    monkeypatch.syspath_prepend(str(lab_packages))
    assert live_lab.available()
    (lab / "outside.ipynb").write_text("{}")  # beside the export folder: must not be visible
    url = f"/api/workspaces/{atlas.slug}/data-lab/live/"
    response = client.post(url)
    assert response.status_code == HTTPStatus.CREATED, response.json()
    started = response.json()
    base = started["url"].split("tree?")[0]
    token = started["url"].split("token=")[1]
    try:
        assert client.post(url).json()["url"] == started["url"]  # one lab per workspace
        request = urllib.request.Request(
            base + "api/contents", headers={"Authorization": f"token {token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as listing:
            names = [item["name"] for item in json.load(listing)["content"]]
        assert names == ["schema-audit.ipynb"]
        for path, expected in (("api/terminals", HTTPStatus.NOT_FOUND), ("api/contents", 403)):
            headers = {"Authorization": f"token {token}"} if expected == 404 else {}
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(urllib.request.Request(base + path, headers=headers))
            assert refused.value.code == expected, path
    finally:
        assert client.delete(url).status_code == HTTPStatus.NO_CONTENT
    with pytest.raises(OSError):
        urllib.request.urlopen(base + "api/status", timeout=2)
