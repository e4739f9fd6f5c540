"""Point the docs drawer at DJDesk's own documentation."""

from django.db import migrations

from inspector.seed import replace_doc_links


class Migration(migrations.Migration):
    dependencies = [("inspector", "0003_task_runs")]
    operations = [migrations.RunPython(replace_doc_links, migrations.RunPython.noop)]
