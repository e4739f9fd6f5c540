from django.conf import settings
from django.http import HttpRequest

from .models import Workspace


def inspector_flags(request: HttpRequest) -> dict[str, object]:
    return {
        "data_lab_enabled": settings.DJDESK_FLAG_DATA_LAB,
        "all_workspaces": Workspace.objects.only("name", "slug"),
    }
