// A relying party built on openid-client (an OpenID Certified library),
// driven by tests/oidc/main.rs against a running Gatehouse. Everything goes
// through real HTTP: the script plays the browser too, following Gatehouse's
// redirects with its own cookie jar and posting the sign-in form.
//
// Modes (--mode):
//   flow    discovery; authorization code + PKCE (S256), state and nonce;
//           code grant (ID token checked against the JWKS, issuer, audience,
//           nonce); userinfo; refresh; reuse of the old refresh token must
//           fail and end the sign-in; a second sign-in, revoked (RFC 7009);
//           a third, ended by RP-initiated logout.
//   verify  checks --id-token against the JWKS at --jwks-url (issuer
//           --expected-issuer, audience --client-id) with jose.
//
// Options come from argv (--name=value) or the environment (OIDC_NAME):
// issuer, client-id, client-secret (absent: a public client),
// redirect-uri, post-logout-uri, username, password, node-modules (where
// `npm install --prefix target/oidc-tools` put the packages).
//
// Prints one JSON line: {"ok": true, ...} and exit 0, or {"ok": false,
// "step", "error", "message"} and exit 1, with the message on stderr too.

import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const NAMES = [
  'mode', 'issuer', 'client-id', 'client-secret', 'redirect-uri', 'post-logout-uri',
  'username', 'password', 'node-modules', 'id-token', 'jwks-url', 'expected-issuer',
];

function options() {
  const { values } = parseArgs({
    options: Object.fromEntries(NAMES.map((n) => [n, { type: 'string' }])),
    strict: true,
  });
  const opts = {};
  for (const name of NAMES) {
    const env = process.env[`OIDC_${name.toUpperCase().replaceAll('-', '_')}`];
    opts[name] = values[name] ?? env;
  }
  opts.mode ??= 'flow';
  return opts;
}

/** A failure at a named step, reported as the one JSON line. */
class Failure extends Error {
  constructor(step, message, extra = {}) {
    super(message);
    this.step = step;
    this.extra = extra;
  }
}

function need(opts, ...names) {
  const missing = names.filter((n) => !opts[n]);
  if (missing.length > 0) {
    throw new Failure('options', `missing: ${missing.map((n) => `--${n}`).join(', ')}`);
  }
}

/** openid-client and jose, from the folder npm installed them in. */
async function load(modules) {
  const require = createRequire(join(modules, 'noop.js'));
  const at = (name) => {
    try {
      return pathToFileURL(require.resolve(name)).href;
    } catch {
      throw new Failure(
        'setup',
        `${name} is not installed under ${modules}: ` +
          'npm install --no-save --prefix target/oidc-tools openid-client@6.9.1 jose@6.2.19',
      );
    }
  };
  return { client: await import(at('openid-client')), jose: await import(at('jose')) };
}

// The browser: a cookie jar and redirects followed by hand, so each hop
// can be checked and the one to the app's redirect URI is not fetched.

function decodeHtml(text) {
  const named = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, entity) => {
    if (entity[0] === '#') {
      const hex = entity[1] === 'x' || entity[1] === 'X';
      return String.fromCodePoint(parseInt(entity.slice(hex ? 2 : 1), hex ? 16 : 10));
    }
    return named[entity.toLowerCase()] ?? whole;
  });
}

function attributes(tag) {
  const attrs = {};
  for (const m of tag.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*("([^"]*)"|'([^']*)')/g)) {
    attrs[m[1].toLowerCase()] = decodeHtml(m[3] ?? m[4]);
  }
  return attrs;
}

class Browser {
  constructor() {
    this.cookies = new Map();
  }

  async request(url, init = {}) {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const gone = attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a)) || value === '';
      if (gone) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /**
   * Follows redirects from `url` until one leads to `stopAt` (returned,
   * unfetched) or a page answers; signs in with `credentials` when that
   * page is Gatehouse's sign-in form.
   */
  async follow(url, stopAt, credentials) {
    let next = new URL(url);
    let signedIn = false;
    for (let hop = 0; hop < 10; hop += 1) {
      if (next.href.startsWith(stopAt)) return { arrived: next };
      const response = await this.request(next);
      if (response.status >= 300 && response.status < 400) {
        next = new URL(response.headers.get('location'), next);
        continue;
      }
      const body = await response.text();
      if (response.status === 200 && next.pathname.endsWith('/login') && !signedIn) {
        if (!credentials) throw new Failure('sign-in', `expected no sign-in page, got ${next}`);
        next = await this.signIn(next, body, credentials);
        signedIn = true;
        continue;
      }
      return { page: { url: next, status: response.status, body } };
    }
    throw new Failure('redirects', `more than 10 redirects from ${url}`);
  }

  /** Posts Gatehouse's sign-in form with its hidden fields (CSRF token, rd). */
  async signIn(pageUrl, html, { username, password }) {
    const form = html.match(/<form\b[^>]*action="[^"]*\/login"[^>]*>([\s\S]*?)<\/form>/i);
    if (!form) throw new Failure('sign-in', `no sign-in form at ${pageUrl}`);
    const fields = new URLSearchParams();
    for (const tag of form[1].match(/<input\b[^>]*>/gi) ?? []) {
      const attrs = attributes(tag);
      if (attrs.type === 'hidden' && attrs.name) fields.append(attrs.name, attrs.value ?? '');
    }
    if (!fields.get('csrf_token')) throw new Failure('sign-in', 'the form has no csrf_token');
    fields.append('login', username);
    fields.append('password', password);
    const action = new URL(attributes(form[0]).action, pageUrl);
    const response = await this.request(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: fields,
    });
    if (response.status !== 303) {
      throw new Failure('sign-in', `POST ${action} answered ${response.status}, not 303`);
    }
    return new URL(response.headers.get('location'), action);
  }
}

// The relying party.

async function configuration(oc, opts) {
  const secret = opts['client-secret'];
  const auth = secret ? oc.ClientSecretBasic(secret) : oc.None();
  // openid-client refuses plain-HTTP issuers; the test's Gatehouse listens
  // on loopback only, where there is nothing for TLS to protect.
  const issuer = new URL(opts.issuer);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname)) {
    throw new Failure('options', `plain HTTP is allowed on loopback only, not ${issuer}`);
  }
  try {
    return await oc.discovery(issuer, opts['client-id'], undefined, auth, {
      execute: [oc.allowInsecureRequests],
    });
  } catch (e) {
    throw new Failure('discovery', describe(e));
  }
}

/** Signs in through Gatehouse and exchanges the code: the ID token checked. */
async function signIn(oc, config, browser, opts) {
  const verifier = oc.randomPKCECodeVerifier();
  const state = oc.randomState();
  const nonce = oc.randomNonce();
  const url = oc.buildAuthorizationUrl(config, {
    redirect_uri: opts['redirect-uri'],
    scope: 'openid profile email groups roles',
    code_challenge: await oc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const credentials = opts.username && { username: opts.username, password: opts.password };
  const { arrived, page } = await browser.follow(url, opts['redirect-uri'], credentials);
  let callback = arrived;
  let refusal = {};
  if (page) {
    // The refusal page's link back tells the app; anything else is a failure.
    const back = [...page.body.matchAll(/<a\b[^>]*>/gi)]
      .map((m) => attributes(m[0]).href)
      .find((href) => href?.startsWith(opts['redirect-uri']));
    if (!back) {
      throw new Failure('authorization', `stopped at ${page.url} (${page.status})`, {
        status: page.status,
        page: page.url.pathname,
      });
    }
    callback = new URL(back);
    refusal = { status: page.status, page: page.url.pathname };
  }
  try {
    const tokens = await oc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    return tokens;
  } catch (e) {
    throw new Failure('authorization', describe(e), {
      error: oauthError(e) ?? e.code,
      ...refusal,
    });
  }
}

/** Runs `act`, which must be refused with OAuth error `expected`. */
async function refused(step, expected, act) {
  try {
    await act();
  } catch (e) {
    if (oauthError(e) === expected) return describe(e);
    throw new Failure(step, `expected ${expected}, got ${describe(e)}`);
  }
  throw new Failure(step, `expected ${expected}, but it succeeded`);
}

async function flow(oc, opts) {
  need(opts, 'issuer', 'client-id', 'redirect-uri', 'post-logout-uri', 'username', 'password');
  const config = await configuration(oc, opts);
  const browser = new Browser();
  const first = await signIn(oc, config, browser, opts);
  const claims = first.claims();
  const idTokenHeader = JSON.parse(Buffer.from(first.id_token.split('.')[0], 'base64url'));

  const userinfo = await step('userinfo', () =>
    oc.fetchUserInfo(config, first.access_token, claims.sub));

  const refreshed = await step('refresh', () => oc.refreshTokenGrant(config, first.refresh_token));
  if (refreshed.refresh_token === first.refresh_token) {
    throw new Failure('refresh', 'the refresh token did not rotate');
  }
  await step('userinfo after refresh', () =>
    oc.fetchUserInfo(config, refreshed.access_token, claims.sub));
  const reuse = await refused('refresh token reuse', 'invalid_grant', () =>
    oc.refreshTokenGrant(config, first.refresh_token));
  // Reuse ends the whole sign-in: the token that replaced it is dead too.
  await refused('refresh after reuse', 'invalid_grant', () =>
    oc.refreshTokenGrant(config, refreshed.refresh_token));
  await refused('userinfo after reuse', 'invalid_token', () =>
    oc.fetchUserInfo(config, refreshed.access_token, claims.sub));

  // The session is still live: a new authorization needs no sign-in.
  const second = await signIn(oc, config, browser, { ...opts, username: undefined });
  await step('revocation', () =>
    oc.tokenRevocation(config, second.refresh_token, { token_type_hint: 'refresh_token' }));
  await refused('refresh after revocation', 'invalid_grant', () =>
    oc.refreshTokenGrant(config, second.refresh_token));
  await refused('userinfo after revocation', 'invalid_token', () =>
    oc.fetchUserInfo(config, second.access_token, claims.sub));

  const third = await signIn(oc, config, browser, { ...opts, username: undefined });
  const logoutState = oc.randomState();
  const endSession = oc.buildEndSessionUrl(config, {
    id_token_hint: third.id_token,
    post_logout_redirect_uri: opts['post-logout-uri'],
    state: logoutState,
  });
  const { arrived: loggedOut, page } = await browser.follow(endSession, opts['post-logout-uri']);
  if (!loggedOut) throw new Failure('logout', `stopped at ${page.url} (${page.status})`);
  if (loggedOut.searchParams.get('state') !== logoutState) {
    throw new Failure('logout', `the post-logout redirect lost the state: ${loggedOut}`);
  }
  await refused('refresh after logout', 'invalid_grant', () =>
    oc.refreshTokenGrant(config, third.refresh_token));
  // The session ended: the next authorization asks for a sign-in.
  const again = new URL(oc.buildAuthorizationUrl(config, {
    redirect_uri: opts['redirect-uri'],
    scope: 'openid',
    code_challenge: await oc.calculatePKCECodeChallenge(oc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    nonce: oc.randomNonce(),
  }));
  const afterLogout = await browser.request(again);
  const to = new URL(afterLogout.headers.get('location') ?? '', again);
  if (afterLogout.status !== 303 || !to.pathname.endsWith('/login')) {
    throw new Failure('logout', `after logout, authorize answered ${afterLogout.status} to ${to}`);
  }

  return {
    issuer: config.serverMetadata().issuer,
    id_token: first.id_token,
    id_token_header: idTokenHeader,
    claims,
    userinfo,
    token_type: first.token_type,
    expires_in: first.expires_in,
    refreshed_id_token: refreshed.id_token !== undefined,
    reuse,
    logout_redirect: loggedOut.href,
  };
}

async function verify(jose, opts) {
  need(opts, 'id-token', 'jwks-url', 'expected-issuer', 'client-id');
  const response = await fetch(opts['jwks-url']);
  if (!response.ok) throw new Failure('jwks', `GET ${opts['jwks-url']} answered ${response.status}`);
  const jwks = await response.json();
  try {
    const { payload, protectedHeader } = await jose.jwtVerify(
      opts['id-token'],
      jose.createLocalJWKSet(jwks),
      { issuer: opts['expected-issuer'], audience: opts['client-id'] },
    );
    return { kid: protectedHeader.kid, alg: protectedHeader.alg, jwks_kids: jwks.keys.map((k) => k.kid), claims: payload };
  } catch (e) {
    throw new Failure('verify', describe(e), { jwks_kids: jwks.keys.map((k) => k.kid) });
  }
}

async function step(name, act) {
  try {
    return await act();
  } catch (e) {
    throw new Failure(name, describe(e), { error: oauthError(e) ?? e.code });
  }
}

/**
 * The OAuth error code of a failure: from the JSON body, or from the
 * WWW-Authenticate challenge (RFC 6750 §3) of a protected resource.
 */
function oauthError(e) {
  if (e.error) return e.error;
  if (e.code === 'OAUTH_WWW_AUTHENTICATE_CHALLENGE' && Array.isArray(e.cause)) {
    return e.cause.map((c) => c.parameters?.error).find(Boolean);
  }
  return undefined;
}

function describe(e) {
  if (e instanceof Failure) return e.message;
  const parts = [e.name, e.code, e.error, e.error_description, e.message];
  if (e.cause && !(e.cause instanceof Error)) parts.push(JSON.stringify(e.cause));
  return parts.filter(Boolean).join(': ');
}

async function main() {
  let opts;
  try {
    opts = options();
    need(opts, 'node-modules');
    const { client, jose } = await load(opts['node-modules']);
    let result;
    if (opts.mode === 'flow') result = await flow(client, opts);
    else if (opts.mode === 'verify') result = await verify(jose, opts);
    else throw new Failure('options', `unknown --mode ${opts.mode}`);
    console.log(JSON.stringify({ ok: true, ...result }));
  } catch (e) {
    const failure = e instanceof Failure ? e : new Failure('unexpected', describe(e));
    console.log(JSON.stringify({
      ok: false,
      step: failure.step,
      message: failure.message,
      ...failure.extra,
    }));
    console.error(`rp.mjs failed at ${failure.step}: ${failure.message}`);
    process.exitCode = 1;
  }
}

await main();
