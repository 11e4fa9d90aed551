//! `oidc-edge`: the provider's native command-line tool. It makes signing keys, hashes
//! passwords and client secrets, and checks a configuration file with the same code the
//! Worker runs at start.
//!
//! ```text
//! oidc-edge keygen [--alg ALG[,ALG...]] [--kid KID]
//! oidc-edge server-secret
//! oidc-edge hash-password [--iterations N]     < password on stdin
//! oidc-edge hash-secret [--stdin] [--iterations N]
//! oidc-edge check-config FILE [--keys FILE]
//! oidc-edge keys rotate FILE --alg ALG [--token-lifetime SECONDS] [--kid KID]
//! ```
//!
//! Exit codes: 0 success, 1 failure (an invalid configuration, unreadable input), 2 usage.
//! Native only: on wasm32 the binary is an empty stub.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use std::io::{BufRead, IsTerminal, Write};
    use std::process::ExitCode;

    use oidc_edge::jose::Alg;
    use oidc_edge::op::config::Config;
    use oidc_edge::op::keys::SigningKeys;
    use oidc_edge::op::keys::rotation::{self, Stage};
    use oidc_edge::op::password::{
        DEFAULT_PASSWORD_ITERATIONS, DEFAULT_SECRET_ITERATIONS, PasswordHash,
    };
    use oidc_edge::op::secrets::ServerSecrets;
    use oidc_edge::random;
    use zeroize::Zeroizing;

    const USAGE: &str = "\
usage: oidc-edge <command> [options]

commands:
  keygen [--alg ALG[,ALG...]] [--kid KID]
      Print a private JWKS for OIDC_SIGNING_KEYS with one new key per ALG, in that order:
      ES256 (P-256, the default), RS256 or PS256 (RSA 2048), EdDSA (Ed25519). ID tokens
      are RS256 when a key signs it (OpenID Connect's default), and every other token
      takes the last key's algorithm: `--alg RS256,ES256` gives both. The kid defaults
      to the key's RFC 7638 thumbprint; --kid names a single key.
  server-secret
      Print a new random secret (32 bytes, base64url) for OIDC_SERVER_SECRET: the key of
      CSRF tokens, DPoP nonces and refresh successors, kept while signing keys rotate.
  hash-password [--iterations N]
      Read a password from the first line of stdin and print its PBKDF2-SHA256 hash,
      for users[].password_hash. N defaults to 100000, the most Cloudflare allows.
  hash-secret [--stdin] [--iterations N]
      Generate a random client secret and print it with its hash, for
      clients[].client_secret_hash (or an initial access token for
      registration.initial_access_token_hash); with --stdin, hash the secret read from
      stdin instead.
      N defaults to 1000: a 256-bit random secret cannot be guessed whatever the count.
  check-config FILE [--keys FILE]
      Check an OIDC_CONFIG file (and an OIDC_SIGNING_KEYS file) as the Worker does.
  keys rotate FILE --alg ALG [--token-lifetime SECONDS] [--kid KID]
      Take the ALG keys of an OIDC_SIGNING_KEYS file one stage further, in place, and say
      what to do next. Run it, deploy the file, wait as it says, and run it again:
        publish  a new key, served at /jwks but not signing (wait 300 s: the JWKS's
                 cache lifetime, so relying parties know it before it signs);
        promote  the new key signs; the old one stays published;
        retire   the old keys go, once the new one has signed for SECONDS (default 600:
                 give the longest lifetime you configured of access_token, id_token and
                 every resources[].access_token_lifetime).
      A stage run too early changes nothing and says when it may run.
";

    /// A failure to report: usage errors exit 2, everything else 1.
    enum Failure {
        Usage(String),
        Run(String),
    }

    pub fn main() -> ExitCode {
        let args: Vec<String> = std::env::args().skip(1).collect();
        match run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(Failure::Usage(message)) => {
                eprintln!("oidc-edge: {message}\n\n{USAGE}");
                ExitCode::from(2)
            }
            Err(Failure::Run(message)) => {
                eprintln!("error: {message}");
                ExitCode::from(1)
            }
        }
    }

    fn run(args: &[String]) -> Result<(), Failure> {
        let Some((command, rest)) = args.split_first() else {
            return Err(Failure::Usage("missing command".to_owned()));
        };
        match command.as_str() {
            "keygen" => {
                let opts = Options::parse(rest, &["--alg", "--kid"], &[], 0)?;
                keygen(opts.value("--alg").unwrap_or("ES256"), opts.value("--kid"))
            }
            "server-secret" => {
                Options::parse(rest, &[], &[], 0)?;
                let secret = Zeroizing::new(
                    ServerSecrets::generate().map_err(|e| Failure::Run(e.to_string()))?,
                );
                output(&[secret.as_str()])
            }
            "hash-password" => {
                let opts = Options::parse(rest, &["--iterations"], &[], 0)?;
                hash_password(opts.iterations(DEFAULT_PASSWORD_ITERATIONS)?)
            }
            "hash-secret" => {
                let opts = Options::parse(rest, &["--iterations"], &["--stdin"], 0)?;
                hash_secret(
                    opts.flag("--stdin"),
                    opts.iterations(DEFAULT_SECRET_ITERATIONS)?,
                )
            }
            "check-config" => {
                let opts = Options::parse(rest, &["--keys"], &[], 1)?;
                match opts.positional.as_slice() {
                    [file] => check_config(file, opts.value("--keys")),
                    _ => Err(Failure::Usage("expected one FILE argument".to_owned())),
                }
            }
            "keys" => match rest.split_first() {
                Some((sub, rest)) if sub == "rotate" => {
                    let opts =
                        Options::parse(rest, &["--alg", "--token-lifetime", "--kid"], &[], 1)?;
                    let alg = opts
                        .value("--alg")
                        .ok_or_else(|| Failure::Usage("keys rotate needs --alg".to_owned()))?;
                    let lifetime = match opts.value("--token-lifetime") {
                        None => DEFAULT_TOKEN_LIFETIME,
                        Some(text) => text.parse().map_err(|_| {
                            Failure::Usage(format!(
                                "--token-lifetime must be a number of seconds, got {text:?}"
                            ))
                        })?,
                    };
                    match opts.positional.as_slice() {
                        [file] => rotate_keys(file, parse_alg(alg)?, lifetime, opts.value("--kid")),
                        _ => Err(Failure::Usage("expected one FILE argument".to_owned())),
                    }
                }
                _ => Err(Failure::Usage("expected `keys rotate`".to_owned())),
            },
            "help" | "--help" | "-h" => {
                print!("{USAGE}");
                Ok(())
            }
            other => Err(Failure::Usage(format!("unknown command {other:?}"))),
        }
    }

    /// How long tokens live unless `--token-lifetime` says: the default lifetimes of
    /// access and ID tokens.
    const DEFAULT_TOKEN_LIFETIME: u64 = 600;

    /// An algorithm the provider signs with.
    fn parse_alg(name: &str) -> Result<Alg, Failure> {
        match Alg::parse(name) {
            Ok(alg @ (Alg::Es256 | Alg::Rs256 | Alg::Ps256 | Alg::EdDsa)) => Ok(alg),
            _ => Err(Failure::Usage(format!(
                "--alg takes ES256, RS256, PS256 or EdDSA (comma-separated for keygen), got {name:?}"
            ))),
        }
    }

    fn keygen(algs: &str, kid: Option<&str>) -> Result<(), Failure> {
        let algs = algs
            .split(',')
            .map(parse_alg)
            .collect::<Result<Vec<Alg>, Failure>>()?;
        if kid.is_some() && algs.len() > 1 {
            return Err(Failure::Usage(
                "--kid names one key: leave it out with several --alg (each kid is then its thumbprint)".to_owned(),
            ));
        }
        let keys = algs
            .into_iter()
            .map(|alg| SigningKeys::generate_key(alg, kid))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Failure::Run(e.to_string()))?;
        let text = Zeroizing::new(serde_json::json!({ "keys": keys }).to_string());
        output(&[text.as_str()])
    }

    fn hash_password(iterations: u32) -> Result<(), Failure> {
        let password = read_line("password")?;
        if password.is_empty() {
            return Err(Failure::Run("the password is empty".to_owned()));
        }
        let hash = PasswordHash::create(password.as_bytes(), iterations)
            .map_err(|e| Failure::Run(e.to_string()))?;
        output(&[&hash.to_phc_string()])
    }

    fn hash_secret(from_stdin: bool, iterations: u32) -> Result<(), Failure> {
        let secret = if from_stdin {
            let secret = read_line("secret")?;
            if secret.is_empty() {
                return Err(Failure::Run("the secret is empty".to_owned()));
            }
            secret
        } else {
            Zeroizing::new(
                random::token(random::DEFAULT_TOKEN_BYTES)
                    .map_err(|e| Failure::Run(e.to_string()))?,
            )
        };
        let hash = PasswordHash::create(secret.as_bytes(), iterations)
            .map_err(|e| Failure::Run(e.to_string()))?;
        let hash_line = format!("hash: {hash}");
        if from_stdin {
            output(&[&hash_line])
        } else {
            let secret_line = Zeroizing::new(format!("secret: {}", secret.as_str()));
            output(&[&secret_line, &hash_line])
        }
    }

    fn check_config(config_file: &str, keys_file: Option<&str>) -> Result<(), Failure> {
        let text = read_file(config_file)?;
        let config =
            Config::from_json(&text).map_err(|e| Failure::Run(format!("{config_file}: {e}")))?;
        let mut lines = vec![format!(
            "ok: {} clients, {} users",
            config.clients.len(),
            config.users.len()
        )];
        if let Some(keys_file) = keys_file {
            let text = Zeroizing::new(read_file(keys_file)?);
            let keys = SigningKeys::from_jwks_json(&text)
                .map_err(|e| Failure::Run(format!("{keys_file}: {e}")))?;
            config
                .check_signing_keys(&keys)
                .map_err(|e| Failure::Run(format!("{config_file} with {keys_file}: {e}")))?;
            let signing: Vec<String> = keys
                .signing()
                .map(|(kid, key)| format!("{} with {kid:?}", key.alg().as_str()))
                .collect();
            lines.push(format!(
                "ok: {} signing keys; signing {}; ID tokens {} unless a client names another, other tokens {}",
                keys.kids().count(),
                signing.join(", "),
                keys.id_token_algorithm().as_str(),
                keys.default_algorithm().as_str(),
            ));
        }
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        output(&lines)
    }

    fn rotate_keys(
        file: &str,
        alg: Alg,
        token_lifetime: u64,
        kid: Option<&str>,
    ) -> Result<(), Failure> {
        let text = Zeroizing::new(read_file(file)?);
        let jwks: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| Failure::Run(format!("{file}: {e}")))?;
        let now = i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_err(|e| Failure::Run(e.to_string()))?
                .as_secs(),
        )
        .map_err(|e| Failure::Run(e.to_string()))?;
        let (rotated, stage) = rotation::rotate(&jwks, alg, now, token_lifetime, kid)
            .map_err(|e| Failure::Run(format!("{file}: {e}")))?;
        if rotated != jwks {
            let text = Zeroizing::new(
                serde_json::to_string_pretty(&rotated).map_err(|e| Failure::Run(e.to_string()))?,
            );
            write_private_file(file, &text)?;
        }
        let line = match stage {
            Stage::Published { kid } => format!(
                "published {kid:?} ({}, not signing yet): deploy {file} now, then run this again after {} s",
                alg.as_str(),
                rotation::JWKS_MAX_AGE
            ),
            Stage::Promoted { kid, older } => format!(
                "promoted {kid:?}: it signs {} tokens from the next deploy; deploy {file} now. {older:?} stay published: run this again after {token_lifetime} s to retire them",
                alg.as_str()
            ),
            Stage::Retired { kids } => {
                format!("retired {kids:?}: deploy {file} now; the rotation is complete")
            }
            Stage::Wait { next, until } => format!(
                "too early to {next}: run this again in {} s{}",
                until.saturating_sub(now),
                if rotated == jwks {
                    String::new()
                } else {
                    format!(" (the wait starts now: {file} records it)")
                }
            ),
        };
        output(&[&line])
    }

    /// Replaces `path` with `text`, readable by its owner only: written beside it and
    /// renamed over it, so a failure leaves the old file whole and no copy behind.
    fn write_private_file(path: &str, text: &str) -> Result<(), Failure> {
        let target = std::path::Path::new(path);
        let suffix = random::token(16).map_err(|e| Failure::Run(e.to_string()))?;
        let temporary = target.with_file_name(format!(
            ".{}.{suffix}.tmp",
            target
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("keys")
        ));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options
            .open(&temporary)
            .and_then(|mut f| {
                f.write_all(text.as_bytes())?;
                f.write_all(b"\n")?;
                f.sync_all()
            })
            .and_then(|()| std::fs::rename(&temporary, target));
        written.map_err(|e| {
            let _ = std::fs::remove_file(&temporary);
            Failure::Run(format!("{path}: {e}"))
        })
    }

    fn read_file(path: &str) -> Result<String, Failure> {
        std::fs::read_to_string(path).map_err(|e| Failure::Run(format!("{path}: {e}")))
    }

    /// The first line of stdin, without its line ending.
    fn read_line(what: &str) -> Result<Zeroizing<String>, Failure> {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            eprintln!(
                "Type the {what} and press Enter (it is shown as you type; pipe it in to avoid that):"
            );
        }
        let mut line = Zeroizing::new(String::new());
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::Run(format!("cannot read the {what} from stdin: {e}")))?;
        let trimmed = line
            .strip_suffix('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .unwrap_or(&line);
        Ok(Zeroizing::new(trimmed.to_owned()))
    }

    /// Writes `lines` to stdout; a closed pipe is a failure, not a panic.
    fn output(lines: &[&str]) -> Result<(), Failure> {
        let mut out = std::io::stdout().lock();
        lines
            .iter()
            .try_for_each(|line| writeln!(out, "{line}"))
            .and_then(|()| out.flush())
            .map_err(|e| Failure::Run(format!("cannot write to stdout: {e}")))
    }

    /// Parsed options: `--name VALUE` pairs, `--flag`s and positional arguments.
    struct Options {
        values: Vec<(&'static str, String)>,
        flags: Vec<&'static str>,
        positional: Vec<String>,
    }

    impl Options {
        /// Accepts each of `valued` (with a value) and `flags` at most once, and exactly
        /// `positional` other arguments.
        fn parse(
            args: &[String],
            valued: &[&'static str],
            flags: &[&'static str],
            positional: usize,
        ) -> Result<Options, Failure> {
            let mut opts = Options {
                values: Vec::new(),
                flags: Vec::new(),
                positional: Vec::new(),
            };
            let mut iter = args.iter();
            while let Some(arg) = iter.next() {
                let (name, inline) = match arg.split_once('=') {
                    Some((name, value)) if name.starts_with("--") => (name, Some(value)),
                    _ => (arg.as_str(), None),
                };
                if let Some(&known) = valued.iter().find(|v| **v == name) {
                    if opts.value(known).is_some() {
                        return Err(Failure::Usage(format!("{known} is given twice")));
                    }
                    let value = match inline {
                        Some(value) => value.to_owned(),
                        None => iter
                            .next()
                            .ok_or_else(|| Failure::Usage(format!("{known} needs a value")))?
                            .clone(),
                    };
                    opts.values.push((known, value));
                } else if let Some(&known) = flags.iter().find(|f| **f == arg) {
                    if opts.flag(known) {
                        return Err(Failure::Usage(format!("{known} is given twice")));
                    }
                    opts.flags.push(known);
                } else if arg.starts_with('-') && arg != "-" {
                    return Err(Failure::Usage(format!("unknown option {arg:?}")));
                } else {
                    opts.positional.push(arg.clone());
                }
            }
            if opts.positional.len() != positional {
                return Err(Failure::Usage(
                    match (positional, opts.positional.first()) {
                        (0, Some(extra)) => format!("unexpected argument {extra:?}"),
                        _ => "expected one FILE argument".to_owned(),
                    },
                ));
            }
            Ok(opts)
        }

        fn value(&self, name: &str) -> Option<&str> {
            self.values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        }

        fn flag(&self, name: &str) -> bool {
            self.flags.contains(&name)
        }

        /// `--iterations`, or `default`.
        fn iterations(&self, default: u32) -> Result<u32, Failure> {
            match self.value("--iterations") {
                None => Ok(default),
                Some(text) => text.parse().map_err(|_| {
                    Failure::Usage(format!(
                        "--iterations must be a positive integer, got {text:?}"
                    ))
                }),
            }
        }
    }
}
