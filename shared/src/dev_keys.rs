//! The development signing key pair: taken from `JWT_PRIVATE_KEY`/`JWT_PUBLIC_KEY` when set, otherwise
//! generated once and kept in the data directory (so sessions survive restarts).

use std::path::Path;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};

/// An Ed25519 key pair as PEM.
pub struct KeyPair {
    pub private_pem: String,
    pub public_pem: String,
}

/// Random bytes as base64url, `bytes` long before encoding.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the OS random source is available");
    URL_SAFE_NO_PAD.encode(buf)
}

/// A new key pair.
pub fn generate() -> anyhow::Result<KeyPair> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    pair_of(&SigningKey::from_bytes(&seed))
}

fn pair_of(key: &SigningKey) -> anyhow::Result<KeyPair> {
    Ok(KeyPair {
        private_pem: key.to_pkcs8_pem(LineEnding::LF)?.to_string(),
        public_pem: key.verifying_key().to_public_key_pem(LineEnding::LF)?,
    })
}

/// The configured pair, or the one in `data_dir/keys`, created on first use.
pub fn load_or_create(data_dir: &Path) -> anyhow::Result<KeyPair> {
    if let (Ok(private_pem), Ok(public_pem)) = (
        crate::config::pem_from_env("JWT_PRIVATE_KEY"),
        crate::config::pem_from_env("JWT_PUBLIC_KEY"),
    ) {
        return Ok(KeyPair {
            private_pem,
            public_pem,
        });
    }
    let dir = data_dir.join("keys");
    let private_path = dir.join("jwt-ed25519.pem");
    if private_path.exists() {
        let pem = std::fs::read_to_string(&private_path)
            .with_context(|| format!("reading {}", private_path.display()))?;
        let key = SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
            anyhow::anyhow!("{} is not an Ed25519 key: {e}", private_path.display())
        })?;
        return pair_of(&key);
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let pair = generate()?;
    write_private(&private_path, &pair.private_pem)?;
    std::fs::write(dir.join("jwt-ed25519.pub.pem"), &pair.public_pem)?;
    tracing::info!(path = %private_path.display(), "generated a development signing key");
    Ok(pair)
}

fn write_private(path: &Path, pem: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(pem.as_bytes())?;
    Ok(())
}
