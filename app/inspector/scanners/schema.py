"""Models, fields and relations of a project, read from its models modules with ``ast``."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from .layout import AppDir, Finding, discover_apps, parse_source

RELATION_FIELDS = {
    "ForeignKey": "many-to-one",
    "OneToOneField": "one-to-one",
    "ManyToManyField": "many-to-many",
}
MODEL_BASES = {"Model", "models.Model"}


@dataclass
class FieldInfo:
    name: str
    type: str
    relation: str = ""  # "many-to-one" | "one-to-one" | "many-to-many" | ""
    target: str = ""  # "Model" for the same app, "app_label.Model" otherwise

    def to_dict(self) -> dict[str, str]:
        data = {"name": self.name, "type": self.type}
        if self.relation:
            data.update(relation=self.relation, target=self.target)
        return data


@dataclass
class ModelInfo:
    app: str
    name: str
    fields: list[FieldInfo] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)
    abstract: bool = False
    proxy: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "app": self.app,
            "name": self.name,
            "fields": [f.to_dict() for f in self.fields],
            "bases": self.bases,
            "abstract": self.abstract,
            "proxy": self.proxy,
        }


@dataclass
class SchemaScan:
    apps: list[str]
    models: list[ModelInfo]
    findings: list[Finding]

    def relations(self) -> list[dict[str, str]]:
        edges = []
        for model in self.models:
            for f in model.fields:
                if f.relation:
                    edges.append(
                        {
                            "source": f"{model.app}.{model.name}",
                            "field": f.name,
                            "target": f.target,
                            "relation": f.relation,
                        }
                    )
        return edges

    def to_dict(self) -> dict[str, object]:
        return {
            "apps": self.apps,
            "models": [m.to_dict() for m in self.models],
            "relations": self.relations(),
            "findings": [f.to_dict() for f in self.findings],
        }


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _meta_flags(cls: ast.ClassDef) -> tuple[bool, bool]:
    abstract = proxy = False
    for item in cls.body:
        if isinstance(item, ast.ClassDef) and item.name == "Meta":
            for stmt in item.body:
                if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant):
                    for target in stmt.targets:
                        if isinstance(target, ast.Name) and target.id == "abstract":
                            abstract = bool(stmt.value.value)
                        if isinstance(target, ast.Name) and target.id == "proxy":
                            proxy = bool(stmt.value.value)
    return abstract, proxy


def _relation_target(call: ast.Call, model_name: str, app_label: str) -> str:
    node = call.args[0] if call.args else None
    for keyword in call.keywords:
        if keyword.arg == "to":
            node = keyword.value
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        target = node.value
        if target == "self":
            return model_name
        # "datasets.Dataset" within the same app reads better as "Dataset".
        prefix, _, name = target.rpartition(".")
        return name if prefix == app_label else target
    return _dotted(node).rsplit(".", 1)[-1] if node is not None else ""


def _field_from_assign(stmt: ast.stmt, model_name: str, app_label: str) -> FieldInfo | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target, value = stmt.targets[0], stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        target, value = stmt.target, stmt.value
    else:
        return None
    if not isinstance(target, ast.Name) or not isinstance(value, ast.Call):
        return None
    type_name = _dotted(value.func).rsplit(".", 1)[-1]
    if type_name in RELATION_FIELDS:
        return FieldInfo(
            target.id,
            type_name,
            RELATION_FIELDS[type_name],
            _relation_target(value, model_name, app_label),
        )
    if type_name.endswith("Field"):
        return FieldInfo(target.id, type_name)
    return None


def _has_primary_key(cls: ast.ClassDef) -> bool:
    for node in ast.walk(cls):
        if isinstance(node, ast.keyword) and node.arg == "primary_key":
            return isinstance(node.value, ast.Constant) and bool(node.value.value)
    return False


def _models_in_module(tree: ast.Module, app: AppDir) -> list[ModelInfo]:
    known: dict[str, ModelInfo] = {}
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        bases = [_dotted(b) for b in cls.bases]
        if not any(b in MODEL_BASES or b.rsplit(".", 1)[-1] in known for b in bases):
            continue
        abstract, proxy = _meta_flags(cls)
        model = ModelInfo(app.label, cls.name, bases=bases, abstract=abstract, proxy=proxy)
        own = [f for s in cls.body if (f := _field_from_assign(s, cls.name, app.app_label))]
        inherited = [
            f
            for b in bases
            if (p := known.get(b.rsplit(".", 1)[-1])) and p.abstract
            for f in p.fields
        ]
        if (
            not abstract
            and not proxy
            and not _has_primary_key(cls)
            and not any(f.name == "id" for f in inherited)
        ):
            model.fields.append(FieldInfo("id", "BigAutoField"))
        model.fields.extend(inherited + own)
        known[cls.name] = model
    return list(known.values())


def _model_files(app: AppDir) -> list[Path]:
    if (app.path / "models.py").is_file():
        return [app.path / "models.py"]
    return sorted((app.path / "models").glob("*.py"))


def scan_schema(root: Path, max_source_bytes: int = 2 * 1024 * 1024) -> SchemaScan:
    """Parse every app's models module(s); syntax errors become findings."""
    root = Path(root)
    models: list[ModelInfo] = []
    findings: list[Finding] = []
    apps = discover_apps(root)
    for app in apps:
        for path in _model_files(app):
            tree, problem = parse_source(path, root, max_source_bytes)
            if tree is None:
                findings.append(problem)
                continue
            models.extend(_models_in_module(tree, app))
    return SchemaScan(apps=[a.label for a in apps], models=models, findings=findings)
