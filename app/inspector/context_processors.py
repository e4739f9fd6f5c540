from django.conf import settings
from django.http import HttpRequest

from djdesk_runtime.contract import UI

from . import live_lab
from .datalab import TEMPLATES
from .models import Workspace


def inspector_flags(request: HttpRequest) -> dict[str, object]:
    return {
        "data_lab_enabled": settings.DJDESK_FLAG_DATA_LAB,
        # Only a lookup of the package, never an import of Jupyter.
        "data_lab_live": settings.DJDESK_FLAG_DATA_LAB and live_lab.available(),
        "data_lab_templates": TEMPLATES.values() if settings.DJDESK_FLAG_DATA_LAB else [],
        "all_workspaces": Workspace.objects.only("name", "slug"),
        # The names the page shares with the desktop shell (base.html renders them for app.js).
        "djdesk_ui": UI,
    }
