// A real OpenID Connect provider (the npm package oidc-provider) for the holder sign-in tests:
// one confidential client, PKCE required, ID tokens signed with a key made at start and
// published at its JWKS. Its one account stands for a citizen whose eID carries their travel
// document; the login and consent steps are answered at once for that account, as if the
// citizen had presented their eID card.
//
// Settings (environment): OIDC_PROVIDER_MODULE (the package's lib/index.js), PORT, ISSUER,
// CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, ACCOUNT (a JSON object of the account's claims).
// It prints "listening" once it accepts connections.

import http from "node:http";
import { pathToFileURL } from "node:url";

const { default: Provider } = await import(pathToFileURL(process.env.OIDC_PROVIDER_MODULE).href);

const account = JSON.parse(process.env.ACCOUNT);
const configuration = {
  clients: [
    {
      client_id: process.env.CLIENT_ID,
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: [process.env.REDIRECT_URI],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  pkce: { required: () => true },
  scopes: ["openid", "eid"],
  claims: {
    openid: ["sub"],
    eid: ["birthdate", "document"],
  },
  findAccount: async (_ctx, sub) => {
    if (sub !== account.sub) return undefined;
    return { accountId: sub, claims: async () => account };
  },
  features: { devInteractions: { enabled: false } },
  // The ID token carries the claims itself (no userinfo call needed).
  conformIdTokenClaims: false,
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
};

const provider = new Provider(process.env.ISSUER, configuration);
provider.proxy = false;
const handle = provider.callback();

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === "login") {
    await provider.interactionFinished(req, res, { login: { accountId: account.sub } }, {
      mergeWithLastSubmission: false,
    });
    return;
  }
  const grant = new provider.Grant({ accountId: account.sub, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, {
    mergeWithLastSubmission: true,
  });
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith("/interaction/")) {
    interaction(req, res).catch((error) => {
      res.statusCode = 500;
      res.end(String(error));
    });
    return;
  }
  handle(req, res);
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("listening"));
