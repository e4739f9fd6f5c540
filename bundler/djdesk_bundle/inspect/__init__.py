"""The auditor's commands: ``verify``, ``diff``, ``audit``, and the SHA256SUMS format they read."""
