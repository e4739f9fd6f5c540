from __future__ import annotations

from pathlib import Path

from django import forms

from .models import Workspace


class WorkspaceWizardForm(forms.Form):
    name = forms.CharField(max_length=120)
    project_path = forms.CharField(
        max_length=1024,
        label="Project path",
        help_text="The folder that holds the project's manage.py.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    run_scans = forms.BooleanField(required=False, initial=True, label="Run scans now")

    def clean_project_path(self) -> str:
        raw = self.cleaned_data["project_path"].strip()
        path = Path(raw).expanduser()
        if not path.is_absolute():
            raise forms.ValidationError("Enter an absolute path to the project folder.")
        if not path.exists():
            raise forms.ValidationError(f"{path} does not exist.")
        if not path.is_dir():
            raise forms.ValidationError(f"{path} is a file, not a folder.")
        if not (path / "manage.py").is_file():
            raise forms.ValidationError(f"{path} has no manage.py: is it a Django project?")
        resolved = path.resolve()
        for workspace in Workspace.objects.only("name", "project_path"):
            if workspace.resolved_path().resolve() == resolved:
                raise forms.ValidationError(
                    f"This project is already inspected as “{workspace.name}”."
                )
        return str(resolved)

    def save(self) -> Workspace:
        data = self.cleaned_data
        return Workspace.objects.create(
            name=data["name"],
            slug=Workspace.unique_slug(data["name"]),
            project_path=data["project_path"],
            description=data["description"],
        )
