"""Default data: the Atlas Telemetry workspace, the task presets and the doc links.

Used by the 0002 data migration (with the historical app registry) and by tests that
need the seed back after a flush (with the live one).
"""

ATLAS = {
    "name": "Atlas Telemetry",
    "slug": "atlas-telemetry",
    # Relative: resolved against INSPECTOR_SAMPLE_ROOT (sample_projects/ or the payload samples/).
    "project_path": "djdesk",
    "description": "Sample telemetry platform: catalog.datasets, catalog.sources, telemetry.",
}

PRESETS = [
    {
        "key": "check",
        "label": "System check",
        "argv": ["manage.py", "check"],
        "description": "Run Django's system checks.",
        "icon": "check",
        "docs_url": "https://docs.djangoproject.com/en/5.2/ref/django-admin/#check",
        "timeout": 60,
    },
    {
        "key": "showmigrations",
        "label": "Migration plan",
        "argv": ["manage.py", "showmigrations", "--plan"],
        "description": "List migrations in the order they would apply.",
        "icon": "list",
        "docs_url": "https://docs.djangoproject.com/en/5.2/ref/django-admin/#showmigrations",
        "timeout": 60,
    },
    {
        "key": "makemigrations-check",
        "label": "Missing migrations",
        "argv": ["manage.py", "makemigrations", "--check", "--dry-run"],
        "description": "Report model changes that have no migration, without writing any.",
        "icon": "diff",
        "docs_url": "https://docs.djangoproject.com/en/5.2/ref/django-admin/#makemigrations",
        "timeout": 90,
    },
    {
        "key": "sqlmigrate",
        "label": "SQL of a migration",
        "argv": ["manage.py", "sqlmigrate", "{app_label}", "{migration}"],
        "description": "Print the SQL a migration would run.",
        "icon": "sql",
        "docs_url": "https://docs.djangoproject.com/en/5.2/ref/django-admin/#sqlmigrate",
        "timeout": 60,
    },
    {
        "key": "diffsettings",
        "label": "Settings diff",
        "argv": ["manage.py", "diffsettings"],
        "description": "Show settings that differ from Django's defaults.",
        "icon": "settings",
        "docs_url": "https://docs.djangoproject.com/en/5.2/ref/django-admin/#diffsettings",
        "timeout": 60,
    },
]

# Pages of DJDesk's own docs (docs/): served offline from the bundle when present.
DOC_LINKS = [
    ("Integration guide", "integration.html"),
    ("Bundler reference", "bundler.html"),
    ("Verify a release", "verify-a-release.html"),
    ("Security model", "security.html"),
    ("Troubleshooting", "troubleshooting.html"),
]
OLD_DOC_TITLES = [
    "Migrations",
    "Models and fields",
    "django-admin commands",
    "Settings reference",
    "Deployment checklist",
]


def seed(apps, schema_editor=None):
    Workspace = apps.get_model("inspector", "Workspace")
    TaskPreset = apps.get_model("inspector", "TaskPreset")
    DocLink = apps.get_model("inspector", "DocLink")
    Workspace.objects.update_or_create(slug=ATLAS["slug"], defaults=ATLAS)
    for preset in PRESETS:
        TaskPreset.objects.update_or_create(key=preset["key"], defaults=preset)
    for order, (title, path) in enumerate(DOC_LINKS):
        DocLink.objects.update_or_create(title=title, defaults={"path": path, "order": order})


def replace_doc_links(apps, schema_editor=None):
    """0004: the drawer points to DJDesk's own docs (they ship offline in the payload)."""
    DocLink = apps.get_model("inspector", "DocLink")
    DocLink.objects.filter(title__in=OLD_DOC_TITLES).delete()
    for order, (title, path) in enumerate(DOC_LINKS):
        DocLink.objects.update_or_create(title=title, defaults={"path": path, "order": order})


def unseed(apps, schema_editor=None):
    apps.get_model("inspector", "Workspace").objects.filter(slug=ATLAS["slug"]).delete()
    apps.get_model("inspector", "TaskPreset").objects.filter(
        key__in=[p["key"] for p in PRESETS]
    ).delete()
    apps.get_model("inspector", "DocLink").objects.filter(
        title__in=[t for t, _ in DOC_LINKS]
    ).delete()
