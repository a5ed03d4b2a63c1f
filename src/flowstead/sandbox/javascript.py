"""The Node.js side of the sandbox protocol (see `child.py`), passed to `node -e`.

Kept as a string so it ships inside the Python package with no package-data setup. The code
defines `main`, called with one object of inputs as Dify does: `function main({a, b})`.
"""

from __future__ import annotations

SOURCE = r"""
"use strict";
const vm = require("vm");

function lineOf(error) {
  const match = /code\.js:(\d+)/.exec(String(error && error.stack));
  return match ? Number(match[1]) : null;
}

function failure(error, kind = "error") {
  return { ok: false, kind, error };
}

function describe(error) {
  if (!(error instanceof Error)) return `uncaught ${JSON.stringify(error)}`;
  const line = lineOf(error);
  return `${error.name}: ${error.message}` + (line ? ` (line ${line})` : "");
}

async function run(source, inputs) {
  let script;
  try {
    script = new vm.Script(source, { filename: "code.js" });
  } catch (error) {
    return failure(`syntax error on line ${lineOf(error)}: ${error.message}`);
  }
  try {
    script.runInThisContext();
    const main = vm.runInThisContext("typeof main === 'function' ? main : undefined");
    if (main === undefined) return failure("the code defines no `main` function");
    const value = await main(inputs);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      const kind = Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
      return failure(`main must return an object, not ${kind}`);
    }
    return { ok: true, value };
  } catch (error) {
    if (error instanceof RangeError && /allocation failed/i.test(error.message)) {
      return failure("", "memory");
    }
    return failure(describe(error));
  }
}

const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", async () => {
  const { source, inputs, marker } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const result = await run(source, inputs);
  let text;
  try {
    text = JSON.stringify(result);
  } catch (error) {
    text = JSON.stringify(failure(`main returned a value that is not JSON: ${error.message}`));
  }
  // Exit once written: timers the code left running must not keep the process alive.
  process.stdout.write(`\n${marker}${text}\n`, () => process.exit(0));
});
"""
