//! Minting tokens: EdDSA access tokens and opaque refresh tokens (stored only as SHA-256).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sha2::{Digest, Sha256};
use shared::auth::Claims;
use shared::config::JwtConfig;
use shared::permissions::PermissionSet;
use uuid::Uuid;

/// Signs access tokens with the Ed25519 private key.
pub struct TokenSigner {
    key: EncodingKey,
    issuer: String,
    audience: String,
    pub access_ttl: std::time::Duration,
}

/// Who a token is for.
pub struct Subject {
    pub user_id: Uuid,
    pub theater_id: Uuid,
    pub session_id: Uuid,
    pub session_version: i32,
    pub permissions: PermissionSet,
}

impl TokenSigner {
    pub fn new(private_key_pem: &str, jwt: &JwtConfig) -> anyhow::Result<Self> {
        let key = EncodingKey::from_ed_pem(private_key_pem.as_bytes()).map_err(|e| {
            anyhow::anyhow!("JWT_PRIVATE_KEY is not an Ed25519 PKCS#8 private key PEM: {e}")
        })?;
        Ok(Self {
            key,
            issuer: jwt.issuer.clone(),
            audience: jwt.audience.clone(),
            access_ttl: jwt.access_ttl,
        })
    }

    /// A signed access token for `subject`.
    pub fn access_token(&self, subject: &Subject) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: subject.user_id,
            tid: subject.theater_id,
            jti: Uuid::new_v4(),
            sid: subject.session_id,
            sv: subject.session_version,
            iat: now,
            exp: now + self.access_ttl.as_secs() as i64,
            perms: subject.permissions.to_strings(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::EdDSA),
            &claims,
            &self.key,
        )?)
    }
}

/// A new refresh token: 256 random bits, base64url.
pub fn new_refresh_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database keeps of a refresh token.
pub fn refresh_token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}
