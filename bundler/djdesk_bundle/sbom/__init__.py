"""The CycloneDX SBOM: the document, its parts (interpreter, licences, the Electron shell),
its cache, and the installer's SBOM."""
