#!/usr/bin/env node
// node tools/kubernetes/validate.js FILE.yaml...
// Validates every document of the manifests against the Kubernetes API's
// JSON schemas of the pinned kubernetes-models release (Kubernetes 1.27),
// and prints them as one JSON array (for tests that check their content).
// Exit 1, naming the file, document and path, on the first that fails.
"use strict";
const fs = require("fs");
const yaml = require("js-yaml");

// apiVersion -> the package folder its models live in.
function modelFolder(apiVersion) {
  if (!apiVersion.includes("/")) return `kubernetes-models/${apiVersion}`;  // core: v1
  const [group, version] = apiVersion.split("/");
  return `kubernetes-models/${group}/${version}`;
}

const out = [];
let failed = false;
for (const file of process.argv.slice(2)) {
  const docs = yaml.loadAll(fs.readFileSync(file, "utf8")).filter((d) => d !== null);
  docs.forEach((doc, i) => {
    const where = `${file} document ${i + 1} (${doc.kind || "?"} ${doc.metadata ? doc.metadata.name : "?"})`;
    let Model;
    try {
      Model = require(`${modelFolder(String(doc.apiVersion))}/${doc.kind}`)[doc.kind];
    } catch (e) {
      console.error(`${where}: no model for apiVersion ${doc.apiVersion} kind ${doc.kind}`);
      failed = true;
      return;
    }
    try {
      new Model(doc).validate();
    } catch (e) {
      console.error(`${where}: ${e.message}`);
      failed = true;
      return;
    }
    out.push(doc);
  });
}
if (failed) process.exit(1);
process.stdout.write(JSON.stringify(out) + "\n");
