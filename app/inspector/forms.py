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
        try:
            path = Path(raw).expanduser()
        except RuntimeError:  # "~nosuchuser": no such user, so no home folder
            user = raw.split("/", 1)[0].split("\\", 1)[0]
            raise forms.ValidationError(f"{user} is not a user of this computer.") from None
        if not path.is_absolute():
            raise forms.ValidationError("Enter an absolute path to the project folder.")
        try:
            return self._checked_project(path)
        except OSError as exc:  # a name too long, a folder we may not read, a loop …
            reason = exc.strerror or type(exc).__name__
            raise forms.ValidationError(f"{path} cannot be used: {reason}.") from None

    def _checked_project(self, path: Path) -> str:
        """The project's resolved folder, or ValidationError (OSError: cannot look it up)."""
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
