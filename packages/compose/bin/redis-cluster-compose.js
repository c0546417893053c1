#!/usr/bin/env node
require('../dist/cli.js').main().then((code) => { process.exitCode = code; });
