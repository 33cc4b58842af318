#!/usr/bin/env node
// Verifies a mats OMS bundle with the Sigstore JavaScript verifier
// (@sigstore/verify + @sigstore/bundle + @sigstore/core, pinned in
// package-lock.json), offline, with a given P-256 public key, then checks
// the DSSE payload is an in-toto Statement v1 with the OMS predicate.
//
//   node verify.js BUNDLE.sig PUBLIC_KEY.pem [EXPECTED_ROOT_HEX]
//
// Exit 0 = verified, 1 = rejected (message on stderr), 2 = usage.
'use strict';
const fs = require('fs');
const nodeCrypto = require('crypto');
const { bundleFromJSON } = require('@sigstore/bundle');
const { Verifier, toSignedEntity } = require('@sigstore/verify');

function fail(msg) {
  process.stderr.write(`sigstore-js: REJECTED: ${msg}\n`);
  process.exit(1);
}

if (process.argv.length < 4) {
  process.stderr.write('usage: node verify.js BUNDLE PUBLIC_KEY.pem [ROOT_HEX]\n');
  process.exit(2);
}
const [bundlePath, keyPath, expectedRoot] = process.argv.slice(2);
const keyPem = fs.readFileSync(keyPath, 'utf8');
const publicKey = nodeCrypto.createPublicKey(keyPem);
// The OMS hint: SHA-256 of the canonical SPKI PEM.
const canonicalPem = publicKey.export({ type: 'spki', format: 'pem' });
const hint = nodeCrypto.createHash('sha256').update(canonicalPem).digest('hex');

let bundle;
try {
  bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
} catch (e) {
  fail(`bundle: ${e.message}`);
}

const trustMaterial = {
  certificateAuthorities: [],
  timestampAuthorities: [],
  tlogs: [],
  ctlogs: [],
  publicKey: (h) => {
    if (h !== hint) throw new Error(`no key for hint ${h}`);
    return { publicKey, validFor: () => true };
  },
};

try {
  const verifier = new Verifier(trustMaterial, {
    tlogThreshold: 0,
    ctlogThreshold: 0,
    timestampThreshold: 0,
  });
  verifier.verify(toSignedEntity(bundle));
} catch (e) {
  fail(`signature: ${e.code || ''} ${e.message}`);
}

const env = bundle.content.dsseEnvelope;
if (env.payloadType !== 'application/vnd.in-toto+json') fail(`payloadType ${env.payloadType}`);
let st;
try {
  st = JSON.parse(Buffer.from(env.payload).toString('utf8'));
} catch (e) {
  fail(`payload is not JSON: ${e.message}`);
}
if (st._type !== 'https://in-toto.io/Statement/v1') fail(`_type ${st._type}`);
if (st.predicateType !== 'https://model_signing/signature/v1.0') fail(`predicateType ${st.predicateType}`);
if (!Array.isArray(st.subject) || st.subject.length !== 1) fail('want exactly one subject');
const root = st.subject[0].digest && st.subject[0].digest.sha256;
if (!/^[0-9a-f]{64}$/.test(root || '')) fail('subject digest.sha256 missing');
// Recompute the root digest from the listed resources.
const h = nodeCrypto.createHash('sha256');
for (const r of st.predicate.resources) h.update(Buffer.from(r.digest, 'hex'));
if (h.digest('hex') !== root) fail('root digest does not match the resources');
if (expectedRoot && expectedRoot !== root) fail(`root ${root} != expected ${expectedRoot}`);
const ser = st.predicate.serialization;
if (!ser || !ser.method || !ser.hash_type || typeof ser.allow_symlinks !== 'boolean') {
  fail('serialization incomplete');
}
process.stdout.write(`sigstore-js: VERIFIED ${st.subject[0].name} root ${root}\n`);
