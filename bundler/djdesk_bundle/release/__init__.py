"""The release steps the published GitHub actions run on a project's runners.

``action.yml`` (build), ``sign/``, ``attest/`` and ``publish/`` install this bundler from
the action's own ``uv.lock`` (hashes checked) and call ``python -m djdesk_bundle.release
COMMAND``: ``plan``, ``keychain``, ``collect``, ``sboms`` (:mod:`.action`), ``gather``
(:mod:`.gather`), ``merge-feeds`` (:mod:`.feeds`), ``check`` (:mod:`.check`). What a step
tells the runner (outputs, the job summary, annotations, log groups) goes through
:mod:`.runner`.
"""
