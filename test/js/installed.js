// Exits 0 when node_modules holds exactly the package versions that
// package-lock.json names; otherwise says what differs and exits 1.
// test/interop runs it to tell a missing or stale install (run .ci/deps, or
// npm ci here) from a failing test.

"use strict";

const lock = require("./package-lock.json");
let ok = true;
for (const [key, locked] of Object.entries(lock.packages)) {
    if (!key.startsWith("node_modules/")) {
        continue;
    }
    let installed = "nothing";
    try {
        installed = require("./" + key + "/package.json").version;
    } catch (e) {
        // not installed
    }
    if (installed !== locked.version) {
        process.stderr.write(`${key}: ${installed} installed, ${locked.version} locked (run npm ci in ${__dirname})\n`);
        ok = false;
    }
}
process.exit(ok ? 0 : 1);
