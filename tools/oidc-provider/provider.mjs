// A certified OpenID provider (npm `oidc-provider`) configured for Senim's
// sign-in tests (issue 21). Started by scripts/test.sh:
//
//   node tools/oidc-provider/provider.mjs PORT [audience|signature]
//
// Its issuer is http://127.0.0.1:PORT. One client, `senim` (secret
// `senim-test-secret`, PKCE required), may be sent back to any
// http://127.0.0.1 address ending in /callback. There is no login form: the
// authorization request's `login_hint` is the person (their `sub`; with an
// `@`, also their verified `email`; `iin` from `iin-<12 digits>` hints), so
// the HTTP tests drive the whole flow with plain HTTP; without a hint, a
// one-field form asks (the browser tests fill it in). Consent is given by the
// grant every sign-in gets. Codes live 60 seconds and are taken once, as the
// provider itself enforces.
//
// With a second argument, every ID token it sends is spoiled on the way
// out, as a provider gone wrong or an attacker in the middle would send it:
// `audience` re-signs it (with the provider's own key) for another client;
// `signature` re-signs it, unchanged, with a key the provider never
// published. Senim must refuse both.
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2] || 0);
const spoil = process.argv[3];
const issuer = `http://127.0.0.1:${port}`;

const claimsOf = (id) => {
  const claims = { sub: id };
  if (id.includes('@')) {
    claims.email = id;
    claims.email_verified = true;
  }
  const iin = /iin-(\d{12})/.exec(id);
  if (iin) claims.iin = iin[1];
  return claims;
};

// A signing key of its own at each start (a restart is a key rotation,
// which Senim must follow).
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  jwks: { keys: [signingKey] },
  clients: [
    {
      client_id: 'senim',
      client_secret: 'senim-test-secret',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  // The claims of the scopes asked for go into the ID token itself (Senim
  // reads the person from it, not from the userinfo endpoint).
  conformIdTokenClaims: false,
  findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => claimsOf(id) }),
  claims: { openid: ['sub'], email: ['email', 'email_verified'], iin: ['iin'] },
  scopes: ['openid', 'email', 'iin', 'offline_access'],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  loadExistingGrant: async (ctx) => {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email iin');
    grant.addOIDCClaims(['sub', 'email', 'email_verified', 'iin']);
    await grant.save();
    return grant;
  },
  ttl: { AuthorizationCode: 60, IdToken: 3600, AccessToken: 3600, Interaction: 600, Session: 600, Grant: 600 },
  cookies: { keys: ['senim-test-cookie-key'] },
});

// Loopback redirect addresses on any port (RFC 8252, 7.3).
const client = provider.Client.prototype;
const redirectUriAllowed = client.redirectUriAllowed;
client.redirectUriAllowed = function allowed(uri) {
  try {
    const u = new URL(uri);
    if (u.protocol === 'http:' && u.hostname === '127.0.0.1' && u.pathname.endsWith('/callback')) return true;
  } catch {
    return false;
  }
  return redirectUriAllowed.call(this, uri);
};

// The login: the authorization request's hint is the person; without one,
// a form asks who (the browser tests type a demo account's address).
const escape = (t) => String(t).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const bodyOf = (req) => new Promise((resolve) => {
  let text = '';
  req.on('data', (chunk) => { text += chunk; });
  req.on('end', () => resolve(new URLSearchParams(text)));
});
provider.use(async (ctx, next) => {
  const m = /^\/interaction\/([^/]+)$/.exec(ctx.path);
  if (!m) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  let account = details.params.login_hint;
  if (!account && ctx.method === 'POST') account = (await bodyOf(ctx.req)).get('login');
  if (!account) {
    ctx.type = 'html';
    ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test ID: sign in</title></head>
<body><main><h1>Test ID</h1><form method="post" action="/interaction/${escape(m[1])}">
<label for="login">Who are you?</label> <input id="login" name="login" autocomplete="username">
<button type="submit">Sign in</button></form></main></body></html>`;
    return;
  }
  await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: account } }, { mergeWithLastSubmission: false });
  ctx.respond = false;
});

// The ID token re-signed by `key` after `change` (RS256).
const resigned = (token, change, key) => {
  const [header, payload] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url'));
  change(claims);
  const body = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${body}.${sign('sha256', Buffer.from(body), key).toString('base64url')}`;
};
if (spoil === 'audience' || spoil === 'signature') {
  const unpublished = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path !== '/token' || !ctx.body || typeof ctx.body.id_token !== 'string') return;
    const idToken = spoil === 'audience'
      ? resigned(ctx.body.id_token, (c) => { c.aud = 'another-client'; }, privateKey)
      : resigned(ctx.body.id_token, () => {}, unpublished);
    ctx.body = { ...ctx.body, id_token: idToken };
  });
} else if (spoil) {
  console.error(`unknown spoiling: ${spoil} (audience or signature)`);
  process.exit(2);
}

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider ready at http://127.0.0.1:${server.address().port}`);
});
