// A real OpenID Connect provider for the end-to-end tests: `oidc-provider` (an OpenID Certified
// implementation) on loopback, on a free port, with test people, the app's client, and a partner system
// that uses client credentials. Its signing key is made at start (nothing secret is kept in the repo).
//
// Environment: REDIRECT_URI and POST_LOGOUT_URI (the app's), CLIENT_ID, CLIENT_SECRET, PARTNER_ID,
// PARTNER_SECRET, API_AUDIENCE, and optionally PORT. Prints one line of JSON, `{"issuer": …}`, once it
// listens; stops when its standard input closes (the test ended).
//
// For the tests only, under /test/ (same port, never part of a real provider):
// - POST /test/rotate: the provider's keys are replaced by a new one (old tokens no longer verify);
// - POST /test/sign {claims, header?, key?}: a token signed with the provider's current key (or, with
//   `"key": "stranger"`, a key the provider does not publish), to test what the app refuses;
// - GET /test/kid: the current key's id.
import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const CLIENT_ID = env('CLIENT_ID');
const CLIENT_SECRET = env('CLIENT_SECRET');
const PARTNER_ID = env('PARTNER_ID');
const PARTNER_SECRET = env('PARTNER_SECRET');
const API_AUDIENCE = env('API_AUDIENCE');
const REDIRECT_URI = env('REDIRECT_URI');
const POST_LOGOUT_URI = env('POST_LOGOUT_URI');

// The people: login name -> claims. Anyone else signs in with no roles.
const PEOPLE = {
  'officer-1': { roles: ['SR.Officer'], collar_number: '1234' },
  'supervisor-1': { roles: ['Staff', 'SR.Supervisor', 'SR.Officer'], collar_number: '5678' },
  'no-role': { roles: ['Finance.Team'], collar_number: '9999' },
};

function newKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = crypto.randomBytes(8).toString('hex');
  return { privateKey, kid, jwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } };
}

const b64 = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function sign(key, header, claims) {
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: key.kid, ...header })}.${b64(claims)}`;
  return `${input}.${crypto.sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}

let issuer;
let key = newKey();
const stranger = newKey();
const cookieKeys = [crypto.randomBytes(32).toString('hex')];

function makeProvider() {
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [REDIRECT_URI],
        post_logout_redirect_uris: [POST_LOGOUT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
      {
        client_id: PARTNER_ID,
        client_secret: PARTNER_SECRET,
        redirect_uris: [],
        response_types: [],
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [key.jwk] },
    cookies: { keys: cookieKeys },
    claims: { openid: ['sub'], profile: ['roles', 'collar_number'] },
    // The roles in the ID token itself, as Entra ID puts them.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    async findAccount(ctx, id) {
      const claims = PEOPLE[id] || { roles: [] };
      return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
    },
    // No consent screen: the force's own app is pre-approved, as in a tenant with admin consent.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid profile');
      await grant.save();
      return grant;
    },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'referrals',
          audience: API_AUDIENCE,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
  });
  return provider;
}

let provider;
let callback;

function body(req) {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(data ? JSON.parse(data) : {}));
  });
}

function reply(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

const server = http.createServer(async (req, res) => {
  try {
    if (req.url === '/test/rotate' && req.method === 'POST') {
      key = newKey();
      provider = makeProvider();
      callback = provider.callback();
      return reply(res, 200, { kid: key.kid });
    }
    if (req.url === '/test/kid') return reply(res, 200, { kid: key.kid });
    if (req.url === '/test/sign' && req.method === 'POST') {
      const { claims, header = {}, key: which } = await body(req);
      return reply(res, 200, { token: sign(which === 'stranger' ? stranger : key, header, claims) });
    }
    return callback(req, res);
  } catch (error) {
    return reply(res, 500, { error: String(error) });
  }
});

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  provider = makeProvider();
  callback = provider.callback();
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
