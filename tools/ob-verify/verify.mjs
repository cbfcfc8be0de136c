// Verifies an Open Badges 3.0 credential issued by Senim with libraries that
// share no code with Senim: Digital Bazaar's vc (W3C Verifiable Credentials),
// data-integrity with the eddsa-rdfc-2022 cryptosuite, and the Bitstring
// Status List checker.
//
//   node verify.mjs CREDENTIAL.json STATUS_LIST.json
//
// Prints "verified" and exits 0 when the proof holds, the credential is within
// its validity period and its revocation bit is not set; otherwise prints the
// reason on stderr and exits 1 (2 for a wrong command line).
//
// Offline: contexts come from npm packages, a did:key is resolved from the key
// it carries, and the status list credential is the file given, for the URL
// the credential names; any other URL is refused.
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as DidKey from '@digitalbazaar/did-method-key';
import {CONTEXTS} from './contexts.mjs';

function fail(message, code = 1) {
  console.error(message);
  process.exit(code);
}

if(process.argv.length !== 4) {
  fail('usage: node verify.mjs CREDENTIAL.json STATUS_LIST.json', 2);
}
const [credentialPath, statusListPath] = process.argv.slice(2);
const credential = JSON.parse(readFileSync(credentialPath, 'utf8'));
const statusList = JSON.parse(readFileSync(statusListPath, 'utf8'));

const didKey = DidKey.driver();
didKey.use({
  multibaseMultikeyHeader: 'z6Mk',
  fromMultibase: Ed25519Multikey.from,
});

// The status list credential answers only for its own id.
const documents = new Map([[statusList.id, statusList]]);

async function documentLoader(url) {
  if(CONTEXTS.has(url)) {
    return {contextUrl: null, documentUrl: url, document: CONTEXTS.get(url)};
  }
  if(url.startsWith('did:key:')) {
    return {contextUrl: null, documentUrl: url, document: await didKey.get({url})};
  }
  if(documents.has(url)) {
    return {contextUrl: null, documentUrl: url, document: documents.get(url)};
  }
  throw new Error(`the verifier loads nothing from the network: ${url}`);
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
let result;
try {
  result = await vc.verifyCredential({
    credential,
    suite,
    documentLoader,
    checkStatus: options => checkStatus({...options, verifyMatchingIssuers: true}),
  });
} catch(error) {
  fail(`not verified: ${error.message}`);
}

function reasons(result) {
  const errors = [];
  const collect = e => {
    if(!e) {
      return;
    }
    if(Array.isArray(e)) {
      e.forEach(collect);
      return;
    }
    errors.push(e.message || String(e));
    collect(e.errors);
    collect(e.cause);
  };
  collect(result.error);
  for(const r of result.results || []) {
    collect(r.error);
  }
  collect(result.statusResult && result.statusResult.error);
  return errors.length ? [...new Set(errors)].join('; ') :
    JSON.stringify(result);
}

if(!result.verified) {
  fail(`not verified: ${reasons(result)}`);
}
// verifyCredential checks that the status list can be read and is signed by
// the same issuer; whether the credential's bit is set is for us to check.
const statuses = (result.statusResult && result.statusResult.results) || [];
if(statuses.length === 0) {
  fail('not verified: the credential has no revocation status');
}
for(const {credentialStatus, status} of statuses) {
  if(status !== false) {
    const {statusPurpose, statusListIndex, statusListCredential} =
      credentialStatus;
    const state = statusPurpose === 'revocation' ? 'revoked' :
      `status "${statusPurpose}" set`;
    fail(`${state}: bit ${statusListIndex} of ${statusListCredential} is set`);
  }
}
console.log('verified');
