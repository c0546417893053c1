#!/usr/bin/env node
require('../dist/cli/main.js')
  .main()
  .then((code) => (process.exitCode = code));
