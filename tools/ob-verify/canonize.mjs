// Prints the canonical N-Quads (RDFC-1.0) of a JSON-LD file as jsonld.js and
// rdf-canonize make them, with the eddsa-rdfc-2022 cryptosuite's options
// (safe mode, no base IRI) and the verifier's offline contexts:
//
//   node canonize.mjs DOCUMENT.json
//
// The Rust crate's tests compare its own canonicalization with this output.
import {readFileSync} from 'node:fs';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {CONTEXTS} from './contexts.mjs';

if(process.argv.length !== 3) {
  console.error('usage: node canonize.mjs DOCUMENT.json');
  process.exit(2);
}
const document = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const documentLoader = async url => {
  if(CONTEXTS.has(url)) {
    return {contextUrl: null, documentUrl: url, document: CONTEXTS.get(url)};
  }
  throw new Error(`the canonicalizer loads nothing from the network: ${url}`);
};
process.stdout.write(await cryptosuite.canonize(document, {documentLoader}));
