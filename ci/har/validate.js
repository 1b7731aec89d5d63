// Validates HAR files with har-validator (the HTTP Archive 1.2 JSON schema,
// pinned in package.json): prints one line per file, exits 1 if any fails.
// Usage: node ci/har/validate.js NODE_MODULES FILE.har...
'use strict';
const fs = require('fs');
const path = require('path');
const validator = require(path.resolve(process.argv[2], 'har-validator'));

async function main(files) {
  let failed = 0;
  for (const file of files) {
    try {
      const har = JSON.parse(fs.readFileSync(file, 'utf8'));
      await validator.har(har);
      console.log(`valid HAR 1.2: ${file} (${har.log.entries.length} entries)`);
    } catch (e) {
      failed++;
      const details = (e.errors || []).map((x) => `${x.dataPath || x.instancePath || ''} ${x.message}`).join('; ');
      console.log(`INVALID: ${file}: ${e.message}${details ? ': ' + details : ''}`);
    }
  }
  process.exit(failed > 0 ? 1 : 0);
}

main(process.argv.slice(3));
