"""File-system helpers every part uses: exact tree walks, atomic writes."""
