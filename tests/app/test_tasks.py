"""Allowlisted task presets run through django-tasks: real runs against the samples."""

from __future__ import annotations

import json
import threading
import time
from http import HTTPStatus
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from inspector import runner, services
from inspector.models import TaskPreset, Workspace, WorkspaceTaskRun

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/task-runs/"


@pytest.fixture(autouse=True)
def _seeded() -> None:
    """Transactional tests flush the database: put the migration's seed back."""
    from django.apps import apps

    from inspector.seed import seed

    seed(apps)


@pytest.fixture
def polls(sample_root: Path) -> Workspace:
    workspace = Workspace.objects.create(
        name="Polls", slug="polls", project_path=str(sample_root / "django-polls")
    )
    services.start_scans(workspace)
    return workspace


def post(client: Client, body: object) -> tuple[int, dict]:
    raw = body if isinstance(body, str) else json.dumps(body)
    response = client.post(URL, raw, content_type="application/json")
    return response.status_code, response.json()


def test_check_succeeds_on_polls(client: Client, polls: Workspace) -> None:
    status, run = post(
        client, {"workspace": "polls", "preset": "check", "confirm_safe": True, "note": "first"}
    )
    assert status == HTTPStatus.CREATED
    assert run["status"] == "succeeded", run
    assert run["exit_code"] == 0
    assert "System check identified no issues" in run["log"]
    assert run["argv"][1:] == ["manage.py", "check"]
    assert run["duration"] > 0 and run["note"] == "first"
    detail = client.get(f"{URL}{run['id']}/").json()
    assert detail["status"] == "succeeded"
    status_payload = client.get("/api/workspaces/polls/status/").json()
    assert status_payload["tasks"][0]["id"] == run["id"]


def test_showmigrations_lists_exactly_the_unapplied(client: Client, polls: Workspace) -> None:
    _, run = post(client, {"workspace": "polls", "preset": "showmigrations", "confirm_safe": True})
    assert run["status"] == "succeeded", run
    lines = [line.strip() for line in run["log"].splitlines() if "polls." in line]
    assert lines == [
        "[X]  polls.0001_initial",
        "[ ]  polls.0002_question_slug",
        "[ ]  polls.0003_alter_choice_votes",
    ]


def test_sqlmigrate_with_scanned_arguments(client: Client, polls: Workspace) -> None:
    _, run = post(
        client,
        {
            "workspace": "polls",
            "preset": "sqlmigrate",
            "confirm_safe": True,
            "args": {"app_label": "polls", "migration": "0002_question_slug"},
        },
    )
    assert run["status"] == "succeeded", run
    assert "slug" in run["log"].lower()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ("{not json", "body", "malformed JSON"),
        ("[1, 2]", "body", "JSON object"),
        ({"workspace": "polls", "preset": "check"}, "confirm_safe", "requires confirm_safe"),
        (
            {"workspace": "polls", "preset": "check", "confirm_safe": "yes"},
            "confirm_safe",
            "requires",
        ),
        (
            {"workspace": "nope", "preset": "check", "confirm_safe": True},
            "workspace",
            "unknown workspace",
        ),
        (
            {"workspace": "polls", "preset": "shell", "confirm_safe": True},
            "preset",
            "unknown preset",
        ),
        (
            {"workspace": "polls", "preset": "check", "confirm_safe": True, "cmd": "ls"},
            "cmd",
            "unknown field",
        ),
        (
            {"workspace": "polls", "preset": "check", "confirm_safe": True, "args": {"x": "1"}},
            "args",
            "takes no argument 'x'",
        ),
        (
            {"workspace": "polls", "preset": "check", "confirm_safe": True, "args": ["--deploy"]},
            "args",
            "must be an object",
        ),
        (
            {
                "workspace": "polls",
                "preset": "sqlmigrate",
                "confirm_safe": True,
                "args": {"app_label": "polls"},
            },
            "args",
            "needs argument 'migration'",
        ),
        (
            {
                "workspace": "polls",
                "preset": "sqlmigrate",
                "confirm_safe": True,
                "args": {"app_label": "polls; rm -rf /", "migration": "0001_initial"},
            },
            "args.app_label",
            "not a plain identifier",
        ),
        (
            {
                "workspace": "polls",
                "preset": "sqlmigrate",
                "confirm_safe": True,
                "args": {"app_label": "polls", "migration": "--settings=evil"},
            },
            "args.migration",
            "not a plain identifier",
        ),
        (
            {
                "workspace": "polls",
                "preset": "sqlmigrate",
                "confirm_safe": True,
                "args": {"app_label": "auth", "migration": "0001_initial"},
            },
            "args.app_label",
            "not an app with migrations",
        ),
        (
            {
                "workspace": "polls",
                "preset": "sqlmigrate",
                "confirm_safe": True,
                "args": {"app_label": "polls", "migration": "0009_nope"},
            },
            "args.migration",
            "not a migration of polls",
        ),
        (
            {"workspace": "polls", "preset": "check", "confirm_safe": True, "note": "x" * 201},
            "note",
            "at most 200",
        ),
    ],
)
def test_hostile_or_bad_requests_run_nothing(client, polls, body, field, message) -> None:
    status, error = post(client, body)
    assert status == HTTPStatus.BAD_REQUEST
    assert error["field"] == field
    assert message in error["error"]
    assert not WorkspaceTaskRun.objects.exists()


def test_a_preset_outside_the_allowlist_cannot_be_saved() -> None:
    for argv in (
        ["manage.py", "shell"],
        ["manage.py", "check", "--settings=evil"],
        ["manage.py", "check", "--pythonpath=/tmp"],
        "manage.py check",
        ["python", "-c", "print(1)"],
        ["manage.py", "check", "; rm -rf /"],
    ):
        with pytest.raises(ValidationError):
            TaskPreset(key="bad", label="Bad", argv=argv).save()
    assert not TaskPreset.objects.filter(key="bad").exists()


def test_a_preset_edited_in_the_database_is_refused_before_running(client, polls) -> None:
    TaskPreset.objects.filter(key="check").update(argv=["manage.py", "shell", "-c", "print(1)"])
    status, error = post(client, {"workspace": "polls", "preset": "check", "confirm_safe": True})
    assert status == HTTPStatus.BAD_REQUEST and "not allowed" in error["error"]
    # Even a run that was created before the edit is refused right before execution.
    TaskPreset.objects.filter(key="check").update(argv=["manage.py", "check"])
    run = WorkspaceTaskRun.objects.create(
        workspace=polls, preset=TaskPreset.objects.get(key="check")
    )
    TaskPreset.objects.filter(key="check").update(argv=["manage.py", "flush", "--noinput"])
    run.refresh_from_db()
    runner.execute(WorkspaceTaskRun.objects.select_related("preset", "workspace").get(pk=run.pk))
    run.refresh_from_db()
    assert run.status == "failed" and run.error.startswith("refused:")
    assert run.argv == [] and run.pid is None


# A command that runs until stopped and binds no port (runserver would take 8000).
SLEEP = "import time; time.sleep(600)"
LONG_RUNNING = ["manage.py", "shell", "-c", SLEEP]


def allow_long_running_command(settings) -> None:  # type: ignore[no-untyped-def]
    settings.INSPECTOR_SAFE_COMMANDS = {
        **settings.INSPECTOR_SAFE_COMMANDS,
        "shell": {"flags": ["-c", SLEEP], "params": []},
    }


def test_timeout_kills_and_fails(polls: Workspace, settings) -> None:
    allow_long_running_command(settings)
    preset = TaskPreset.objects.create(key="slow", label="Slow", timeout=2, argv=LONG_RUNNING)
    run = WorkspaceTaskRun.objects.create(workspace=polls, preset=preset)
    started = time.monotonic()
    runner.execute(run)
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error == "timed out after 2 s" and "timed out after 2 s" in run.log
    assert time.monotonic() - started < 20
    assert not runner._alive(run.pid) or _is_zombie(run.pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] == "Z"


def test_cancel_stops_a_running_task(client: Client, polls: Workspace, settings) -> None:
    allow_long_running_command(settings)
    preset = TaskPreset.objects.create(key="long", label="Long", timeout=60, argv=LONG_RUNNING)
    run = WorkspaceTaskRun.objects.create(workspace=polls, preset=preset)
    worker = threading.Thread(target=runner.execute, args=(run,))
    worker.start()
    # A generous deadline for a loaded machine; past it, fail saying so rather than carry on.
    deadline = time.monotonic() + 60
    while WorkspaceTaskRun.objects.get(pk=run.pk).status != "running":
        assert time.monotonic() < deadline and worker.is_alive(), "the run never started"
        time.sleep(0.05)
    response = client.post(f"{URL}{run.pk}/cancel/")
    assert response.status_code == HTTPStatus.ACCEPTED
    worker.join(timeout=60)
    assert not worker.is_alive(), "the cancel did not stop the run"
    run.refresh_from_db()
    assert run.status == "cancelled" and "cancelled by the user" in run.log
    again = client.post(f"{URL}{run.pk}/cancel/")
    assert again.status_code == HTTPStatus.CONFLICT


def test_stale_running_run_is_reaped(polls: Workspace) -> None:
    preset = TaskPreset.objects.get(key="check")
    run = WorkspaceTaskRun.objects.create(
        workspace=polls, preset=preset, status="running", pid=2**22 + 7
    )
    WorkspaceTaskRun.objects.filter(pk=run.pk).update(
        updated_at=run.updated_at.replace(year=run.updated_at.year - 1)
    )
    assert runner.reap_stale_runs() == 1
    run.refresh_from_db()
    assert run.status == "failed" and "interrupted" in run.error


def test_api_is_csrf_protected(polls: Workspace) -> None:
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        URL,
        json.dumps({"workspace": "polls", "preset": "check", "confirm_safe": True}),
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["field"] == "csrf"
    assert not WorkspaceTaskRun.objects.exists()


def test_unknown_run_is_json_404(client: Client) -> None:
    assert client.get(f"{URL}999/").status_code == HTTPStatus.NOT_FOUND
    assert client.post(f"{URL}999/cancel/").json()["error"] == "no task run 999"


ALLOWED = {
    ("manage.py", "check"),
    ("manage.py", "showmigrations", "--plan"),
    ("manage.py", "makemigrations", "--check", "--dry-run"),
    ("manage.py", "diffsettings"),
}

values = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["polls", "0001_initial", "--settings=x", "; ls", "$(id)", "`id`", "../.."]),
    st.integers(),
    st.none(),
    st.lists(st.text(max_size=5), max_size=2),
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "workspace": st.sampled_from(["polls", "nope", ""]),
        "preset": st.sampled_from(
            [
                "check",
                "showmigrations",
                "makemigrations-check",
                "sqlmigrate",
                "diffsettings",
                "shell",
                "",
            ]
        ),
        "args": st.one_of(
            st.dictionaries(
                st.sampled_from(["app_label", "migration", "x", "--settings"]), values, max_size=3
            ),
            values,
        ),
        "confirm_safe": st.one_of(st.booleans(), values),
        "note": values,
        "extra": values,
    },
)


def test_no_request_body_runs_anything_outside_the_allowlist(polls: Workspace, monkeypatch) -> None:
    started: list[list[str]] = []
    real_popen = runner.subprocess.Popen

    def recording_popen(argv, *args, **kwargs):  # type: ignore[no-untyped-def]
        started.append(list(argv))
        return real_popen(argv, *args, **kwargs)

    monkeypatch.setattr(runner.subprocess, "Popen", recording_popen)
    migrations = {"0001_initial", "0002_question_slug", "0003_alter_choice_votes"}
    client = Client()

    @hyp_settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=bodies)
    def check(body: dict) -> None:
        client.post(URL, json.dumps(body, default=str), content_type="application/json")
        for argv in started:
            tail = tuple(argv[1:])
            assert tail in ALLOWED or (
                tail[:3] == ("manage.py", "sqlmigrate", "polls")
                and len(tail) == 4
                and tail[3] in migrations
            ), argv

    check()


def test_database_backend_queues_and_the_worker_runs(
    client: Client, polls: Workspace, settings
) -> None:
    from django.core.management import call_command

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    status, run = post(client, {"workspace": "polls", "preset": "check", "confirm_safe": True})
    assert status == HTTPStatus.CREATED
    assert run["status"] == "requested"  # returned at once: nothing ran in the request
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    finished = client.get(f"{URL}{run['id']}/").json()
    assert finished["status"] == "succeeded" and finished["exit_code"] == 0


def test_cancel_before_a_worker_picks_it_up(client: Client, polls: Workspace, settings) -> None:
    from django.core.management import call_command

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    _, run = post(client, {"workspace": "polls", "preset": "check", "confirm_safe": True})
    assert client.post(f"{URL}{run['id']}/cancel/").json()["status"] == "cancelled"
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    cancelled = client.get(f"{URL}{run['id']}/").json()
    assert cancelled["status"] == "cancelled" and cancelled["argv"] == []  # never ran
    assert "[cancelled before it started]" in cancelled["log"]


def test_cancel_after_the_worker_loaded_the_run_still_wins(
    client: Client, polls: Workspace
) -> None:
    """The worker loaded the run while it was requested and the cancel lands before the
    worker marks it running: the run ends cancelled, says so in its log, and nothing runs."""
    loaded = WorkspaceTaskRun.objects.create(
        workspace=polls, preset=TaskPreset.objects.get(key="check")
    )
    assert client.post(f"{URL}{loaded.pk}/cancel/").status_code == HTTPStatus.ACCEPTED
    assert runner.execute(loaded).status == "cancelled"  # the worker goes on with its copy
    run = WorkspaceTaskRun.objects.get(pk=loaded.pk)
    assert run.status == "cancelled" and run.pid is None and run.argv == []
    assert "[cancelled before it started]" in run.log


def test_cancel_before_a_refused_run_fails_still_wins(
    client: Client, polls: Workspace, tmp_path: Path
) -> None:
    """The worker loaded the run, the cancel landed, then the run turned out impossible (its
    project lost manage.py): it ends cancelled, as the user asked, not failed."""
    loaded = WorkspaceTaskRun.objects.create(
        workspace=Workspace.objects.create(name="Gone", slug="gone", project_path=str(tmp_path)),
        preset=TaskPreset.objects.get(key="check"),
    )
    assert client.post(f"{URL}{loaded.pk}/cancel/").status_code == HTTPStatus.ACCEPTED
    assert runner.execute(loaded).status == "cancelled"
    run = WorkspaceTaskRun.objects.get(pk=loaded.pk)
    assert run.status == "cancelled" and "[cancelled before it started]" in run.log


def test_active_runs_are_listed_until_they_finish(
    client: Client, polls: Workspace, settings
) -> None:
    """The shell asks this before installing an update."""
    from django.core.management import call_command

    assert client.get(f"{URL}?state=active").json() == {"runs": []}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    _, run = post(client, {"workspace": "polls", "preset": "check", "confirm_safe": True})
    active = client.get(f"{URL}?state=active").json()["runs"]
    assert [(r["id"], r["status"]) for r in active] == [(run["id"], "requested")]
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert client.get(f"{URL}?state=active").json() == {"runs": []}


def test_listing_runs_needs_a_known_state(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"error": "only ?state=active is supported", "field": "state"}
    assert client.put(URL).status_code == HTTPStatus.METHOD_NOT_ALLOWED
