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
    path(
        "api/workspaces/<slug:slug>/data-lab/export/", views.data_lab_export, name="data-lab-export"
    ),
    path("api/workspaces/<slug:slug>/data-lab/live/", views.data_lab_live, name="data-lab-live"),
    path(
        "workspaces/<slug:slug>/data-lab/<str:template>/",
        views.data_lab_preview,
        name="data-lab-preview",
    ),
    path("api/task-runs/", views.task_runs, name="task-runs"),
    path("api/task-runs/<int:run_id>/", views.task_run_detail, name="task-run"),
    path("api/task-runs/<int:run_id>/cancel/", views.task_run_cancel, name="task-run-cancel"),
    path("docs/offline/", views.offline_docs, name="docs-index"),
    path("docs/offline/<path:path>", views.offline_docs, name="docs"),
]
