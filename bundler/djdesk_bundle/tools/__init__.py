"""One wrapper per external program the build runs: uv, git, and the process runner."""
