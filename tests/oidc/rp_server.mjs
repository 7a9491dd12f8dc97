// A small relying party on loopback, built on openid-client, for the
// browser scenario (tests/e2e/scenarios/oidc.rs): "Sign in with Gatehouse"
// sends the browser to Gatehouse's authorization endpoint with PKCE, state
// and nonce; the callback exchanges the code (the ID token is checked
// against the JWKS, issuer, audience and nonce) and shows who signed in and
// their roles, or the error the app was sent back (access_denied).
//
// node tests/oidc/rp_server.mjs --port=P --issuer=URL --client-id=ID
//   --client-secret=S --node-modules=target/oidc-tools/node_modules
// Prints "listening P" once it listens; stops when its input closes.

import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: Object.fromEntries(
    ['port', 'issuer', 'client-id', 'client-secret', 'node-modules'].map((n) => [n, { type: 'string' }]),
  ),
  strict: true,
});

const require = createRequire(join(opts['node-modules'], 'noop.js'));
const client = await import(pathToFileURL(require.resolve('openid-client')).href);

const base = `http://127.0.0.1:${opts.port}`;
const redirectUri = `${base}/cb`;
// Gatehouse runs on plain http on loopback in the tests: openid-client
// refuses http issuers unless told otherwise.
const config = await client.discovery(new URL(opts.issuer), opts['client-id'], opts['client-secret'], undefined, {
  execute: [client.allowInsecureRequests],
});

/** What each sign-in started with, by state. */
const pending = new Map();

const escape = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function page(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html lang="en"><meta charset="utf-8"><title>Dashboard</title><main>${body}</main></html>`);
}

async function handle(req, res) {
  const url = new URL(req.url, base);
  if (url.pathname === '/') {
    return page(res, 200, '<h1>Dashboard</h1><p><a id="signin" href="/login">Sign in with Gatehouse</a></p>');
  }
  if (url.pathname === '/login') {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    pending.set(state, { verifier, nonce });
    const to = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile email groups roles',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    res.writeHead(303, { location: to.href });
    return res.end();
  }
  if (url.pathname === '/cb') {
    const state = url.searchParams.get('state');
    const started = pending.get(state);
    if (!started) return page(res, 400, '<h1 id="result">Unknown sign-in</h1>');
    pending.delete(state);
    const error = url.searchParams.get('error');
    if (error) return page(res, 200, `<h1 id="result">Refused: ${escape(error)}</h1>`);
    const tokens = await client.authorizationCodeGrant(config, url, {
      pkceCodeVerifier: started.verifier,
      expectedState: state,
      expectedNonce: started.nonce,
    });
    const claims = tokens.claims();
    return page(
      res,
      200,
      `<h1 id="result">Signed in as ${escape(claims.name)}</h1>` +
        `<p id="username">${escape(claims.preferred_username)}</p>` +
        `<p id="roles">${escape((claims.roles ?? []).join(', '))}</p>`,
    );
  }
  return page(res, 404, '<h1>Not found</h1>');
}

const server = createServer((req, res) => {
  handle(req, res).catch((err) => page(res, 500, `<h1 id="result">Failed: ${escape(err.message)}</h1>`));
});
server.listen(Number(opts.port), '127.0.0.1', () => console.log(`listening ${opts.port}`));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
