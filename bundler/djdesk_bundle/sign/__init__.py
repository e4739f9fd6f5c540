"""Signatures: sigstore bundles for release artifacts, native code signing of the payload."""
