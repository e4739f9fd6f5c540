"""Scanners against the generated samples, with exact expected values, and broken inputs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from inspector.scanners import scan_logs, scan_migrations, scan_schema


def models_by_name(root: Path) -> dict[str, dict]:
    return {f"{m['app']}.{m['name']}": m for m in scan_schema(root).to_dict()["models"]}


def test_schema_of_atlas(sample_root: Path) -> None:
    scan = scan_schema(sample_root / "djdesk")
    assert scan.apps == ["accounts", "catalog.datasets", "catalog.sources", "telemetry"]
    models = models_by_name(sample_root / "djdesk")
    assert sorted(models) == [
        "accounts.Member",
        "accounts.Team",
        "catalog.datasets.Dataset",
        "catalog.datasets.DatasetVersion",
        "catalog.datasets.PublishedDataset",
        "catalog.datasets.TimeStamped",
        "catalog.sources.Credential",
        "catalog.sources.Source",
        "telemetry.Event",
        "telemetry.Metric",
    ]
    dataset = models["catalog.datasets.Dataset"]
    # Fields inherited from the abstract base come after the implicit id.
    assert [f["name"] for f in dataset["fields"]] == [
        "id",
        "created",
        "slug",
        "title",
        "owner",
        "source",
    ]
    assert models["catalog.datasets.TimeStamped"]["abstract"] is True
    assert models["catalog.datasets.PublishedDataset"]["proxy"] is True
    assert scan.findings == []


def test_relations_of_atlas(sample_root: Path) -> None:
    edges = {
        (e["source"], e["field"]): (e["relation"], e["target"])
        for e in scan_schema(sample_root / "djdesk").relations()
    }
    assert edges == {
        ("accounts.Member", "teams"): ("many-to-many", "Team"),
        ("catalog.datasets.Dataset", "owner"): ("many-to-one", "accounts.Team"),
        ("catalog.datasets.Dataset", "source"): ("many-to-one", "sources.Source"),
        ("catalog.datasets.DatasetVersion", "dataset"): ("many-to-one", "Dataset"),
        ("catalog.sources.Credential", "source"): ("one-to-one", "Source"),
        ("telemetry.Event", "dataset"): ("many-to-one", "datasets.Dataset"),
        ("telemetry.Metric", "event"): ("many-to-one", "Event"),
    }


def test_migrations_of_atlas(sample_root: Path) -> None:
    scan = scan_migrations(sample_root / "djdesk")
    pending = {a.label: a.pending for a in scan.apps}
    assert pending == {
        "accounts": [],
        "catalog.datasets": ["0002_datasetversion"],
        "catalog.sources": [],
        "telemetry": ["0002_event_kind_index", "0002_metric_unit"],
    }
    assert scan.pending_total == 3
    assert scan.conflicts == ["telemetry"]
    telemetry = next(a for a in scan.apps if a.label == "telemetry")
    assert telemetry.leaves == ["0002_event_kind_index", "0002_metric_unit"]
    datasets = next(a for a in scan.apps if a.label == "catalog.datasets")
    assert datasets.app_label == "datasets"
    assert datasets.migrations[0].dependencies == [
        ("accounts", "0001_initial"),
        ("sources", "0001_initial"),
    ]
    assert scan.database == "db.sqlite3"


def test_migrations_of_polls(sample_root: Path) -> None:
    scan = scan_migrations(sample_root / "django-polls")
    (polls,) = scan.apps
    assert [m.name for m in polls.migrations if m.applied] == ["0001_initial"]
    assert polls.pending == ["0002_question_slug", "0003_alter_choice_votes"]
    assert polls.leaves == ["0003_alter_choice_votes"]
    assert not polls.conflict


def test_generated_sample_scales(sample_root: Path) -> None:
    schema = scan_schema(sample_root / "generated")
    assert len(schema.apps) == 3
    assert len(schema.models) == 3 * 4
    assert len(schema.relations()) == 3 * 3  # each model but the first points to the previous
    migrations = scan_migrations(sample_root / "generated")
    # No database: everything is pending.
    assert migrations.pending_total == 3
    assert any("no SQLite database" in f.message for f in migrations.findings)


def test_logs_of_atlas(sample_root: Path) -> None:
    scan = scan_logs(sample_root / "djdesk")
    assert scan.files == ["logs/atlas.log", "logs/ingest.log"]
    assert scan.level_counts() == {"error": 2, "info": 6, "warning": 3}
    errors = [e for e in scan.entries if e.level == "error"]
    assert errors[0].timestamp == "15:22:01"
    assert errors[0].message == "telemetry Failed to write metric batch: database is locked"


def test_syntax_error_is_a_finding(tmp_path: Path) -> None:
    app = tmp_path / "shop"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "models.py").write_text("class Broken(models.Model:\n    pass\n")
    scan = scan_schema(tmp_path)
    assert scan.models == []
    (finding,) = scan.findings
    assert finding.level == "error"
    assert finding.path == "shop/models.py"
    assert "line 1" in finding.message


def test_unreadable_database_is_a_finding(tmp_path: Path) -> None:
    app = tmp_path / "shop"
    (app / "migrations").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "migrations" / "0001_initial.py").write_text(
        "from django.db import migrations\n\nclass Migration(migrations.Migration):\n"
        "    dependencies = []\n"
    )
    (tmp_path / "db.sqlite3").write_bytes(b"this is not a database" * 100)
    scan = scan_migrations(tmp_path)
    assert scan.pending_total == 1
    assert any(f.level == "error" and "database unreadable" in f.message for f in scan.findings)


def test_database_is_opened_read_only(sample_root: Path, tmp_path: Path) -> None:
    import shutil

    project = tmp_path / "polls"
    shutil.copytree(sample_root / "django-polls", project)
    before = (project / "db.sqlite3").read_bytes()
    scan_migrations(project)
    assert (project / "db.sqlite3").read_bytes() == before
    assert not (project / "db.sqlite3-journal").exists()
    with sqlite3.connect(project / "db.sqlite3") as connection:
        assert connection.execute("SELECT count(*) FROM django_migrations").fetchone() == (1,)


def test_huge_log_reads_only_its_tail(tmp_path: Path) -> None:
    log = tmp_path / "huge.log"
    with log.open("wb") as handle:
        handle.truncate(2 * 1024**3)  # a sparse 2 GB file: costs nothing on disk
        handle.seek(0, 2)
        handle.write(b"\n2025-01-01 10:00:00 ERROR app Disk full\n")
    scan = scan_logs(tmp_path, max_bytes=64 * 1024)
    assert scan.entries[-1].level == "error"
    assert scan.entries[-1].message == "app Disk full"
    assert any("large log" in f.message for f in scan.findings)
