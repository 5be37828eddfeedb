//! Every kind of bad access token is a 401 with `WWW-Authenticate`, never a pass.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use testkit::{StatusCode, TestApp, TestUser, spawn_app};

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign_ed(app: &TestApp, claims: &Value) -> String {
    let key = EncodingKey::from_ed_pem(app.keys.private_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), claims, &key).unwrap()
}

async fn assert_rejected(app: &TestApp, token: &str, why: &str) {
    let reply = app.get("/api/v1/auth/me", token).await;
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "{why}: {:?}",
        reply.body
    );
    assert!(
        reply
            .header("www-authenticate")
            .is_some_and(|v| v.starts_with("Bearer")),
        "{why}"
    );
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json"),
        "{why}"
    );
}

async fn setup() -> (TestApp, TestUser) {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    (app, admin)
}

#[tokio::test]
async fn a_token_signed_by_us_with_good_claims_is_accepted() {
    let (app, admin) = setup().await;
    let claims = claims_of(&admin.token);
    let token = sign_ed(&app, &claims);
    assert_eq!(
        app.get("/api/v1/auth/me", &token).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_expired_token_is_rejected() {
    let (app, admin) = setup().await;
    let mut claims = claims_of(&admin.token);
    let now = chrono::Utc::now().timestamp();
    claims["iat"] = json!(now - 3600);
    claims["exp"] = json!(now - 60);
    assert_rejected(&app, &sign_ed(&app, &claims), "expired").await;
}

#[tokio::test]
async fn a_tampered_token_is_rejected() {
    let (app, admin) = setup().await;
    let mut claims = claims_of(&admin.token);
    claims["perms"] = json!(["admin:full", "audit:view"]);
    let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    let parts: Vec<&str> = admin.token.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    assert_rejected(&app, &tampered, "tampered payload").await;
}

#[tokio::test]
async fn an_unsigned_alg_none_token_is_rejected() {
    let (app, admin) = setup().await;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims_of(&admin.token)).unwrap());
    assert_rejected(&app, &format!("{header}.{payload}."), "alg none").await;
}

#[tokio::test]
async fn an_hs256_token_keyed_with_the_public_key_is_rejected() {
    let (app, admin) = setup().await;
    let key = EncodingKey::from_secret(app.keys.public_pem.as_bytes());
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims_of(&admin.token),
        &key,
    )
    .unwrap();
    assert_rejected(&app, &token, "HS256 with the public key").await;
}

#[tokio::test]
async fn a_token_for_another_audience_or_issuer_is_rejected() {
    let (app, admin) = setup().await;
    let mut claims = claims_of(&admin.token);
    claims["aud"] = json!("someone-else");
    assert_rejected(&app, &sign_ed(&app, &claims), "audience").await;
    let mut claims = claims_of(&admin.token);
    claims["iss"] = json!("evil-issuer");
    assert_rejected(&app, &sign_ed(&app, &claims), "issuer").await;
}

#[tokio::test]
async fn a_token_signed_by_another_key_is_rejected() {
    let (app, admin) = setup().await;
    let stranger = shared::dev_keys::generate().unwrap();
    let key = EncodingKey::from_ed_pem(stranger.private_pem.as_bytes()).unwrap();
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::EdDSA),
        &claims_of(&admin.token),
        &key,
    )
    .unwrap();
    assert_rejected(&app, &token, "foreign key").await;
}

#[tokio::test]
async fn missing_or_malformed_authorization_is_401() {
    let (app, _) = setup().await;
    let none = app.call("GET", "/api/v1/auth/me", None, None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    let basic = app
        .call_with(
            "GET",
            "/api/v1/auth/me",
            None,
            None,
            &[("authorization", "Basic YTpi")],
        )
        .await;
    assert_eq!(basic.status, StatusCode::UNAUTHORIZED);
    assert_rejected(&app, "not.a.jwt", "garbage").await;
}
