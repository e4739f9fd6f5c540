"""Seed the Atlas Telemetry workspace, the task presets and the documentation links."""

from django.db import migrations

from inspector.seed import seed, unseed


class Migration(migrations.Migration):
    dependencies = [("inspector", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
