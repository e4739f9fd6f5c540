// The suite runs on the Node that Electron's tooling needs (issue 30): engines.node in
// package.json, which `scripts/shell_node.py` provides when the system's Node is older.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import semver from 'semver';
import { electronDir } from './helpers.js';

test('package.json names the Node it needs, and this is it', () => {
  const { engines } = JSON.parse(fs.readFileSync(path.join(electronDir, 'package.json'), 'utf8'));
  assert.ok(engines && semver.validRange(engines.node), 'package.json has no engines.node range');
  assert.ok(semver.satisfies(process.versions.node, engines.node),
    `Node ${process.versions.node} does not satisfy engines.node ${engines.node}: run the suite with `
    + 'python3 scripts/shell_node.py --test \'test/*.test.js\'');
  assert.ok(!semver.satisfies('22.11.0', engines.node) && !semver.satisfies('20.19.0', engines.node));
});
