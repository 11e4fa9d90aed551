//! One module per grant type, each with one entry point, `exchange`, that applies the
//! grant's rules and answers with its tokens.

pub mod approved;
pub mod authorization_code;
pub mod ciba;
pub mod client_credentials;
pub mod device_code;
pub mod refresh_token;
pub mod token_exchange;
