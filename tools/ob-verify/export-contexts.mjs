// Writes the JSON-LD contexts that crates/senim-badges embeds, taken from the
// npm packages the verifier uses, so that both sides read the same documents:
//
//   node tools/ob-verify/export-contexts.mjs
//
// Run it after changing a context package's version, then commit the files.
import {writeFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {CONTEXTS} from './contexts.mjs';

const FILES = {
  'https://www.w3.org/ns/credentials/v2': 'credentials-v2.jsonld',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json': 'ob-v3p0-context-3.0.3.jsonld',
};
const dir = new URL('../../crates/senim-badges/contexts/', import.meta.url);
for(const [url, file] of Object.entries(FILES)) {
  const context = CONTEXTS.get(url);
  if(!context) {
    throw new Error(`no context for ${url}`);
  }
  writeFileSync(new URL(file, dir), JSON.stringify(context, null, 2) + '\n');
  console.log(`${url} -> ${fileURLToPath(new URL(file, dir))}`);
}
