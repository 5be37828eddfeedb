//! The development signing key pair: taken from `JWT_PRIVATE_KEY`/`JWT_PUBLIC_KEY` when set, otherwise
//! generated once and kept in the data directory (so sessions survive restarts).

use std::path::Path;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, KeypairBytes};

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

/// The private key is written as a PKCS#8 v1 document (RFC 5208, no embedded public key), the
/// form OpenSSL 3.0 and Python's `cryptography` read; v2 files written before are still read.
fn pair_of(key: &SigningKey) -> anyhow::Result<KeyPair> {
    let v1 = KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    };
    Ok(KeyPair {
        private_pem: v1.to_pkcs8_pem(LineEnding::LF)?.to_string(),
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

/// Writes `contents` to a file only its owner can read or write (mode 0600 on Unix), replacing
/// an older file (whose mode is tightened first).
pub fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("restricting {}", path.display()))?;
        }
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::pkcs8::PrivateKeyInfo;
    use ed25519_dalek::pkcs8::spki::der::{Decode, Document};

    #[test]
    fn the_private_key_is_a_pkcs8_v1_document_that_reads_back() {
        let pair = generate().unwrap();
        let (label, doc) = Document::from_pem(&pair.private_pem).unwrap();
        assert_eq!(label, "PRIVATE KEY");
        let info = PrivateKeyInfo::from_der(doc.as_bytes()).unwrap();
        assert!(
            info.public_key.is_none(),
            "v2 carries the public key; v1 does not"
        );
        let key = SigningKey::from_pkcs8_pem(&pair.private_pem).unwrap();
        assert_eq!(pair_of(&key).unwrap().public_pem, pair.public_pem);
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_owner_only_even_when_they_existed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.txt");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&path, "new").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
    }
}
