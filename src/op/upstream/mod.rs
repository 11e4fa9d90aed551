//! Upstream sign-in: the provider as a relying party of other OpenID Providers
//! (`upstream_providers`), so users sign in with an account they already have.
//!
//! The login page links to `/upstream/start` for each provider ([`authorization`]: the
//! code flow with PKCE, `state` and `nonce`, the `state` bound to the waiting authorization
//! request and the browser, in the store, single use). The upstream sends the user back
//! to `/upstream/callback` ([`callback`]: `iss` checked first, the code exchanged, the ID
//! token validated by the same rules the npm package ships; the claims it lacks asked of
//! the upstream's UserInfo endpoint, [`userinfo`]). The upstream user becomes a
//! local account with a stable subject ([`account`]), signed in with a session of this
//! provider, and the authorization request goes on as after a password: consent if
//! needed, then the code to the client. Each provider's discovery document is fetched and
//! kept ([`metadata`]); its keys are kept as clients' `jwks_uri` keys are.

pub mod account;
pub mod authorization;
pub mod callback;
pub mod metadata;
pub mod userinfo;

pub use account::UpstreamAccount;
pub use authorization::PendingSignIn;
