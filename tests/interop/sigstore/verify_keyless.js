#!/usr/bin/env node
// Verifies a keyless (Sigstore) OMS bundle with the Sigstore JavaScript
// verifier (@sigstore/verify 3.1.1 + @sigstore/bundle + @sigstore/core,
// pinned in package-lock.json), offline, against a given trusted root:
// Fulcio chain at the log's integrated time (and any RFC 3161 timestamp),
// embedded SCT, Rekor entry (SET, inclusion proof and signed checkpoint, body
// matches the envelope), DSSE signature, then the identity policy (SAN and
// the Fulcio OIDC-issuer extension). Default thresholds: 1 tlog entry,
// 1 SCT, 1 timestamp. sigstore-js does not read the OMS manifest.
//
//   node verify_keyless.js BUNDLE.sig TRUSTED_ROOT.json IDENTITY ISSUER
//
// IDENTITY is matched exactly (sigstore-js treats the policy value as a
// regular expression, so it is escaped and anchored here).
// Exit 0 = verified, 1 = rejected (message on stderr), 2 = usage.
'use strict';
const fs = require('fs');
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

function fail(msg) {
  process.stderr.write(`sigstore-js: REJECTED: ${msg}\n`);
  process.exit(1);
}

if (process.argv.length !== 6) {
  process.stderr.write('usage: node verify_keyless.js BUNDLE TRUSTED_ROOT IDENTITY ISSUER\n');
  process.exit(2);
}
const [bundlePath, rootPath, identity, issuer] = process.argv.slice(2);

let bundle;
try {
  bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
} catch (e) {
  fail(`bundle: ${e.message}`);
}
if (bundle.verificationMaterial.content.$case !== 'certificate') {
  fail(`not a keyless bundle (verification material ${bundle.verificationMaterial.content.$case})`);
}

let trustMaterial;
try {
  const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootPath, 'utf8')));
  trustMaterial = toTrustMaterial(root);
} catch (e) {
  fail(`trusted root: ${e.message}`);
}

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
let signer;
try {
  const verifier = new Verifier(trustMaterial);
  signer = verifier.verify(toSignedEntity(bundle), {
    subjectAlternativeName: `^${escapeRegExp(identity)}$`,
    extensions: { issuer },
  });
} catch (e) {
  const cause = e.cause ? ` (cause: ${e.cause.code || ''} ${e.cause.message})` : '';
  fail(`${e.code || e.name || ''} ${e.message}${cause}`);
}
const id = signer.identity || {};
process.stdout.write(
  `sigstore-js: VERIFIED keyless bundle signed by ${id.subjectAlternativeName} ` +
    `(issuer ${id.extensions && id.extensions.issuer})\n`,
);
