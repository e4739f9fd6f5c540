"""``djdesk-bundle build``: the stages (one module each, in the order ``pipeline.build``
runs them: resolve, fetch, extract, install, app, check beside template-db then smoke, sign,
describe, pack, publish) and what they share (the stage context, locks, the up-to-date
record, the output rules)."""
