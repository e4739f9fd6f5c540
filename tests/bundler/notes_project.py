"""A second, independent Django project ("Notes Desk") made by the tests.

Its own package names, apps, models, static files, pyproject and lock: nothing of the
inspector, so it shows the bundler works for any Django project.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from djdesk_bundle.tools.uv import find_uv

PYPROJECT = """\
[project]
name = "notes-desk"
version = "1.2.3"
requires-python = ">=3.11"
dependencies = [
    "django>=5.2,<6",
    "waitress>=3.0",
    "whitenoise>=6.8",
    "markupsafe>=3.0",  # has platform wheels: shows a cross-target install
]
{extra}
[tool.uv]
package = false

[tool.djdesk-bundle]
app-dir = "src"
app-package = "notesite"
settings-module = "notesite.settings"
wsgi-application = "notesite.wsgi:application"
output-dir = "build/payload"
dist-dir = "build/dist"
"""

FILES = {
    "src/manage.py": """
        import os, sys
        if __name__ == "__main__":
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "notesite.settings")
            from django.core.management import execute_from_command_line
            execute_from_command_line(sys.argv)
    """,
    "src/notesite/__init__.py": "",
    "src/notesite/settings.py": """
        import os
        from pathlib import Path

        BASE_DIR = Path(__file__).resolve().parent.parent
        DATA_DIR = Path(os.environ.get("DJDESK_DATA_DIR", BASE_DIR / "var"))
        SECRET_KEY = os.environ.get("NOTES_SECRET", "notes-test-key")
        DEBUG = False
        ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
        INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.staticfiles", "notes"]
        MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
        ROOT_URLCONF = "notesite.urls"
        TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates",
                      "APP_DIRS": True, "OPTIONS": {}}]
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                                 "NAME": DATA_DIR / "notes.sqlite3"}}
        STATIC_URL = "/assets/"
        STATIC_ROOT = BASE_DIR / "collected"
        USE_TZ = True
        DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
    """,
    "src/notesite/urls.py": """
        from django.urls import path
        from notes.views import index
        urlpatterns = [path("", index)]
    """,
    "src/notesite/wsgi.py": """
        import os
        from django.core.wsgi import get_wsgi_application
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "notesite.settings")
        application = get_wsgi_application()
    """,
    "src/notes/__init__.py": "",
    "src/notes/models.py": """
        from django.db import models

        class Notebook(models.Model):
            title = models.CharField(max_length=80)

        class Note(models.Model):
            notebook = models.ForeignKey(Notebook, on_delete=models.CASCADE)
            text = models.TextField()
    """,
    "src/notes/migrations/__init__.py": "",
    "src/notes/migrations/0001_initial.py": """
        from django.db import migrations, models
        import django.db.models.deletion

        class Migration(migrations.Migration):
            initial = True
            dependencies = []
            operations = [
                migrations.CreateModel(name="Notebook", fields=[
                    ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                    ("title", models.CharField(max_length=80))]),
                migrations.CreateModel(name="Note", fields=[
                    ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                    ("text", models.TextField()),
                    ("notebook", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="notes.notebook"))]),
            ]
    """,
    "src/notes/views.py": """
        from django.shortcuts import render
        from .models import Note

        def index(request):
            return render(request, "notes/index.html", {"count": Note.objects.count()})
    """,
    "src/notes/templates/notes/index.html": """
        {% load static %}<!doctype html><link rel="stylesheet" href="{% static 'notes/notes.css' %}">
        <h1>Notes Desk</h1><p>{{ count }} notes</p>
    """,
    "src/notes/static/notes/notes.css": "h1 { color: rebeccapurple; }\n",
}


def make_notes_project(root: Path, extra_dependencies: str = "", lock: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT.format(extra=extra_dependencies))
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    (root / "src" / "notes.log").write_text("never shipped\n")
    if lock:
        subprocess.run([find_uv(), "lock", "-q"], cwd=root, check=True)
    return root
