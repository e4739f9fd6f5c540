#!/usr/bin/env python3
"""Generate the inspector's sample Django projects, deterministically and offline.

    python scripts/fetch_samples.py [--root DIR] [--apps N] [--models M]

Writes into DIR (default: $DJDESK_SAMPLE_ROOT, else $INSPECTOR_SAMPLE_ROOT, else
./sample_projects):

- ``django-polls``: the tutorial's polls app; its db.sqlite3 has 0001 applied, the rest pending.
- ``djdesk``: "Atlas Telemetry", several apps (``catalog.datasets``...), relations, a
  migration conflict in ``telemetry``, and log files with info/warning/error lines.
- ``generated``: N apps x M models, for scale tests.

Same arguments, same bytes: no timestamps, sorted output, a fixed "applied" time in
the SQLite files. Nothing here imports Django.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import textwrap
from pathlib import Path

APPLIED_AT = "2025-01-01 00:00:00"  # fixed so the generated databases are byte-identical

MANAGE_PY = """#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{package}.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""

SETTINGS_PY = """from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "sample-project-not-secret"  # pragma: allowlist secret
DEBUG = True
ALLOWED_HOSTS = []
INSTALLED_APPS = {apps!r}
ROOT_URLCONF = "{package}.urls"
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def _project(root: Path, package: str, apps: list[str]) -> None:
    _write(root / "manage.py", MANAGE_PY.format(package=package))
    _write(root / package / "__init__.py", "")
    _write(root / package / "settings.py", SETTINGS_PY.format(package=package, apps=apps))
    _write(root / package / "urls.py", "urlpatterns = []\n")
    _write(
        root / package / "wsgi.py",
        f'''
        import os

        from django.core.wsgi import get_wsgi_application

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{package}.settings")
        application = get_wsgi_application()
    ''',
    )
    for app in apps:
        parts = app.split(".")
        for i in range(1, len(parts) + 1):
            _write(root.joinpath(*parts[:i]) / "__init__.py", "")
        _write(root.joinpath(*parts) / "migrations" / "__init__.py", "")


def _migration(root: Path, app: str, name: str, deps: list[tuple[str, str]], ops: str) -> None:
    dependencies = "".join(f"\n        ({a!r}, {n!r})," for a, n in deps)
    body = f"""from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    dependencies = [{dependencies}
    ]

    operations = [
{textwrap.indent(textwrap.dedent(ops).strip(), " " * 8)}
    ]
"""
    _write(root.joinpath(*app.split(".")) / "migrations" / f"{name}.py", body)


def _database(path: Path, applied: list[tuple[str, str]]) -> None:
    """A SQLite file with Django's migration table, as `migrate` would have left it."""
    path.unlink(missing_ok=True)
    connection = sqlite3.connect(path)
    with connection:
        connection.execute(
            'CREATE TABLE "django_migrations" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,'
            ' "app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL,'
            ' "applied" datetime NOT NULL)'
        )
        connection.executemany(
            "INSERT INTO django_migrations (app, name, applied) VALUES (?, ?, ?)",
            [(app, name, APPLIED_AT) for app, name in applied],
        )
    connection.close()


def make_polls(root: Path) -> None:
    _project(root, "mysite", ["polls"])
    _write(
        root / "polls" / "models.py",
        """
        from django.db import models


        class Question(models.Model):
            question_text = models.CharField(max_length=200)
            pub_date = models.DateTimeField("date published")
            slug = models.SlugField(default="")


        class Choice(models.Model):
            question = models.ForeignKey(Question, on_delete=models.CASCADE)
            choice_text = models.CharField(max_length=200)
            votes = models.IntegerField(default=0)
    """,
    )
    _migration(
        root,
        "polls",
        "0001_initial",
        [],
        """
        migrations.CreateModel(
            name="Question",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("question_text", models.CharField(max_length=200)),
                ("pub_date", models.DateTimeField(verbose_name="date published")),
            ],
        ),
        migrations.CreateModel(
            name="Choice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("choice_text", models.CharField(max_length=200)),
                ("votes", models.IntegerField(default=0)),
                ("question", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="polls.question")),
            ],
        ),
    """,
    )
    _migration(
        root,
        "polls",
        "0002_question_slug",
        [("polls", "0001_initial")],
        """
        migrations.AddField(model_name="question", name="slug", field=models.SlugField(default="")),
    """,
    )
    _migration(
        root,
        "polls",
        "0003_alter_choice_votes",
        [("polls", "0002_question_slug")],
        """
        migrations.AlterField(model_name="choice", name="votes", field=models.IntegerField(default=0)),
    """,
    )
    _database(root / "db.sqlite3", [("polls", "0001_initial")])


ATLAS_APPS = ["accounts", "catalog.datasets", "catalog.sources", "telemetry"]

ATLAS_LOG = """\
2025-03-02 15:20:11,102 INFO atlas.ingest Started ingest worker pid=4121
2025-03-02 15:20:12,340 INFO catalog.datasets Loaded 128 datasets from the catalog
2025-03-02 15:21:03,877 WARNING telemetry Event backlog is 1200 items (threshold 1000)
2025-03-02 15:21:45,015 INFO catalog.sources Refreshed source "noaa-buoys"
2025-03-02 15:22:01,450 ERROR telemetry Failed to write metric batch: database is locked
2025-03-02 15:22:09,993 INFO telemetry Retried metric batch: 512 rows written
2025-03-02 15:23:30,210 WARNING accounts Team "ops" has no owner
2025-03-02 15:24:02,781 ERROR catalog.datasets Dataset "ocean-temp" checksum mismatch
2025-03-02 15:25:44,006 INFO atlas.ingest Ingest worker idle
"""


def make_atlas(root: Path) -> None:
    _project(root, "atlas", ATLAS_APPS)
    _write(
        root / "accounts" / "models.py",
        """
        from django.db import models


        class Team(models.Model):
            name = models.CharField(max_length=100, unique=True)
            slug = models.SlugField(unique=True)


        class Member(models.Model):
            email = models.EmailField(unique=True)
            teams = models.ManyToManyField(Team, related_name="members")
    """,
    )
    _write(
        root / "catalog" / "datasets" / "models.py",
        """
        from django.db import models


        class TimeStamped(models.Model):
            created = models.DateTimeField(auto_now_add=True)

            class Meta:
                abstract = True


        class Dataset(TimeStamped):
            slug = models.SlugField(unique=True)
            title = models.CharField(max_length=200)
            owner = models.ForeignKey("accounts.Team", on_delete=models.PROTECT)
            source = models.ForeignKey("sources.Source", null=True, on_delete=models.SET_NULL)


        class DatasetVersion(TimeStamped):
            dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
            number = models.PositiveIntegerField()
            checksum = models.CharField(max_length=64)


        class PublishedDataset(Dataset):
            class Meta:
                proxy = True
    """,
    )
    _write(
        root / "catalog" / "sources" / "models.py",
        """
        from django.db import models


        class Source(models.Model):
            name = models.CharField(max_length=100)
            url = models.URLField()


        class Credential(models.Model):
            source = models.OneToOneField(Source, on_delete=models.CASCADE)
            token_hint = models.CharField(max_length=8)
    """,
    )
    _write(
        root / "telemetry" / "models.py",
        """
        from django.db import models


        class Event(models.Model):
            dataset = models.ForeignKey("datasets.Dataset", on_delete=models.CASCADE)
            kind = models.CharField(max_length=40)
            payload = models.JSONField(default=dict)
            recorded_at = models.DateTimeField()


        class Metric(models.Model):
            event = models.ForeignKey(Event, on_delete=models.CASCADE)
            name = models.CharField(max_length=80)
            value = models.FloatField()
            unit = models.CharField(max_length=16, blank=True)
    """,
    )
    pk = "models.BigAutoField(auto_created=True, primary_key=True, serialize=False)"
    _migration(
        root,
        "accounts",
        "0001_initial",
        [],
        f"""
        migrations.CreateModel(name="Team", fields=[("id", {pk}), ("name", models.CharField(max_length=100, unique=True)), ("slug", models.SlugField(unique=True))]),
        migrations.CreateModel(name="Member", fields=[("id", {pk}), ("email", models.EmailField(max_length=254, unique=True)), ("teams", models.ManyToManyField(related_name="members", to="accounts.team"))]),
    """,
    )
    _migration(
        root,
        "catalog.sources",
        "0001_initial",
        [],
        f"""
        migrations.CreateModel(name="Source", fields=[("id", {pk}), ("name", models.CharField(max_length=100)), ("url", models.URLField())]),
        migrations.CreateModel(name="Credential", fields=[("id", {pk}), ("token_hint", models.CharField(max_length=8)), ("source", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, to="sources.source"))]),
    """,
    )
    _migration(
        root,
        "catalog.datasets",
        "0001_initial",
        [("accounts", "0001_initial"), ("sources", "0001_initial")],
        f"""
        migrations.CreateModel(name="Dataset", fields=[("id", {pk}), ("created", models.DateTimeField(auto_now_add=True)), ("slug", models.SlugField(unique=True)), ("title", models.CharField(max_length=200)), ("owner", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to="accounts.team")), ("source", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, to="sources.source"))]),
        migrations.CreateModel(name="PublishedDataset", fields=[], options={{"proxy": True, "indexes": [], "constraints": []}}, bases=("datasets.dataset",)),
    """,
    )
    _migration(
        root,
        "catalog.datasets",
        "0002_datasetversion",
        [("datasets", "0001_initial")],
        f"""
        migrations.CreateModel(name="DatasetVersion", fields=[("id", {pk}), ("created", models.DateTimeField(auto_now_add=True)), ("number", models.PositiveIntegerField()), ("checksum", models.CharField(max_length=64)), ("dataset", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="versions", to="datasets.dataset"))]),
    """,
    )
    _migration(
        root,
        "telemetry",
        "0001_initial",
        [("datasets", "0001_initial")],
        f"""
        migrations.CreateModel(name="Event", fields=[("id", {pk}), ("kind", models.CharField(max_length=40)), ("payload", models.JSONField(default=dict)), ("recorded_at", models.DateTimeField()), ("dataset", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="datasets.dataset"))]),
        migrations.CreateModel(name="Metric", fields=[("id", {pk}), ("name", models.CharField(max_length=80)), ("value", models.FloatField()), ("event", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="telemetry.event"))]),
    """,
    )
    # Two branches from 0001: the conflict `makemigrations --merge` would have to resolve.
    _migration(
        root,
        "telemetry",
        "0002_metric_unit",
        [("telemetry", "0001_initial")],
        """
        migrations.AddField(model_name="metric", name="unit", field=models.CharField(blank=True, max_length=16)),
    """,
    )
    _migration(
        root,
        "telemetry",
        "0002_event_kind_index",
        [("telemetry", "0001_initial")],
        """
        migrations.AlterField(model_name="event", name="kind", field=models.CharField(max_length=40)),
    """,
    )
    _database(
        root / "db.sqlite3",
        [
            ("accounts", "0001_initial"),
            ("sources", "0001_initial"),
            ("datasets", "0001_initial"),
            ("telemetry", "0001_initial"),
        ],
    )
    _write(root / "logs" / "atlas.log", ATLAS_LOG)
    _write(
        root / "logs" / "ingest.log",
        """\
        2025-03-02 15:19:58,000 INFO atlas.ingest Scheduler started
        2025-03-02 15:26:00,000 WARNING atlas.ingest Slow batch: 8.2 s
    """,
    )


def make_generated(root: Path, apps: int, models: int) -> None:
    labels = [f"app{i:02d}" for i in range(apps)]
    _project(root, "generated", labels)
    pk = "models.BigAutoField(auto_created=True, primary_key=True, serialize=False)"
    for label in labels:
        classes, ops = [], []
        for j in range(models):
            fk = (
                f'\n    parent = models.ForeignKey("Model{j - 1:02d}", on_delete=models.CASCADE)'
                if j
                else ""
            )
            classes.append(
                f"class Model{j:02d}(models.Model):\n"
                f"    name = models.CharField(max_length=50){fk}\n"
            )
            fk_op = (
                f', ("parent", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,'
                f' to="{label}.model{j - 1:02d}"))'
                if j
                else ""
            )
            ops.append(
                f'migrations.CreateModel(name="Model{j:02d}", fields=[("id", {pk}), '
                f'("name", models.CharField(max_length=50)){fk_op}]),'
            )
        _write(
            root / label / "models.py", "from django.db import models\n\n\n" + "\n\n".join(classes)
        )
        _migration(root, label, "0001_initial", [], "\n".join(ops))


def default_root() -> Path:
    env = os.environ.get("DJDESK_SAMPLE_ROOT") or os.environ.get("INSPECTOR_SAMPLE_ROOT")
    return Path(env) if env else Path.cwd() / "sample_projects"


def generate_samples(root: Path, apps: int = 3, models: int = 4) -> list[Path]:
    """(Re)create every sample under root; returns their directories."""
    root.mkdir(parents=True, exist_ok=True)
    made = []
    for name, build in (
        ("django-polls", make_polls),
        ("djdesk", make_atlas),
        ("generated", lambda path: make_generated(path, apps, models)),
    ):
        target = root / name
        shutil.rmtree(target, ignore_errors=True)
        build(target)
        made.append(target)
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=None, help="where to write the samples")
    parser.add_argument("--apps", type=int, default=3, help="apps in the generated sample")
    parser.add_argument("--models", type=int, default=4, help="models per generated app")
    args = parser.parse_args(argv)
    if args.apps < 1 or args.models < 1:
        parser.error("--apps and --models must be at least 1")
    for path in generate_samples(args.root or default_root(), args.apps, args.models):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
