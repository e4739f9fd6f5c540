"""The desktop runtime shipped inside every payload: launcher, request guard, data dir.

Standard library only at import time (waitress, whitenoise and Django are imported when
needed, and their absence is a one-line error with an exit code from the contract).
"""
