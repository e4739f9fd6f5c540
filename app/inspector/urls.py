from django.urls import path

from . import views

app_name = "inspector"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="home"),
    path("workspaces/new/", views.WorkspaceWizardView.as_view(), name="wizard"),
    path("workspaces/<slug:slug>/", views.DashboardView.as_view(), name="dashboard"),
    path("workspaces/<slug:slug>/rescan/", views.RescanView.as_view(), name="rescan"),
    path("api/workspaces/<slug:slug>/status/", views.workspace_status, name="status"),
    path("api/workspaces/<slug:slug>/scans/", views.workspace_rescan_api, name="scans"),
    path("docs/offline/", views.offline_docs, name="docs-index"),
    path("docs/offline/<path:path>", views.offline_docs, name="docs"),
]
