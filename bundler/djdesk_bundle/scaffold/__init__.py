"""``djdesk-bundle init``: the project scan, ``[tool.djdesk-bundle]`` and the desktop shell."""
