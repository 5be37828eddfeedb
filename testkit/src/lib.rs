//! Test fixtures shared by every function's integration tests: `spawn_app()` serves the auth
//! Router (plus whatever Router a test adds) on port 0, against a fresh PostgreSQL database, its
//! own Redis key prefix and its own embedded S3 store.

pub mod faults;
mod inventory;
pub mod lambda_events;
pub mod lambda_runtime;
pub mod template;

use std::sync::OnceLock;
use std::time::Duration;

use axum::Router;
use serde_json::{Value, json};
use shared::AppContext;
use shared::config::{CommonConfig, JwtConfig};
use shared::dev_keys::KeyPair;
use shared::embedded_s3::EmbeddedS3;
use shared::storage::Storage;
use uuid::Uuid;

pub use reqwest::StatusCode;

/// PostgreSQL server used by the tests (`TEST_DATABASE_URL`, default the local one).
pub fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Redis used by the tests (`TEST_REDIS_URL`).
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// The URL of database `name` on the test server.
pub fn database_url(name: &str) -> String {
    let mut config: tokio_postgres::Config =
        server_url().parse().expect("TEST_DATABASE_URL parses");
    config.dbname(name);
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres");
    match config.get_password() {
        Some(p) => format!(
            "postgres://{user}:{}@{host}:{port}/{name}",
            String::from_utf8_lossy(p)
        ),
        None => format!("postgres://{user}@{host}:{port}/{name}"),
    }
}

async fn admin_client() -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&server_url(), tokio_postgres::NoTls)
        .await
        .expect("the test PostgreSQL server is reachable (see README: running the tests)");
    tokio::spawn(connection);
    client
}

/// A database created for one test; its name carries the creation time so that later runs can
/// clean up what earlier ones left.
pub async fn create_empty_database() -> String {
    let name = format!(
        "theatre_test_{}_{}",
        chrono::Utc::now().timestamp(),
        Uuid::new_v4().simple()
    );
    let client = admin_client().await;
    client
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create test database");
    name
}

static TEMPLATE: OnceLock<String> = OnceLock::new();
static TEMPLATE_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A migrated database: a copy of a template migrated once per test binary.
pub async fn create_migrated_database() -> String {
    let template = {
        let _guard = TEMPLATE_LOCK.lock().await;
        match TEMPLATE.get() {
            Some(t) => t.clone(),
            None => {
                drop_stale_databases().await;
                let name = create_empty_database().await;
                shared::migrate::run(&database_url(&name))
                    .await
                    .expect("migrations apply to a fresh database");
                let _ = TEMPLATE.set(name.clone());
                name
            }
        }
    };
    let name = format!(
        "theatre_test_{}_{}",
        chrono::Utc::now().timestamp(),
        Uuid::new_v4().simple()
    );
    let client = admin_client().await;
    // Copies of one template can collide briefly; retry a few times.
    for attempt in 0.. {
        match client
            .batch_execute(&format!(
                "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
            ))
            .await
        {
            Ok(()) => break,
            Err(e) if attempt < 20 => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50 + attempt * 20)).await;
            }
            Err(e) => panic!("creating {name} from template: {e}"),
        }
    }
    name
}

/// Drops test databases older than an hour (left by earlier runs).
async fn drop_stale_databases() {
    let client = admin_client().await;
    let cutoff = chrono::Utc::now().timestamp() - 3600;
    let rows = client
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'theatre\\_test\\_%'",
            &[],
        )
        .await
        .unwrap_or_default();
    for row in rows {
        let name: String = row.get(0);
        let created: i64 = name
            .split('_')
            .nth(2)
            .and_then(|t| t.parse().ok())
            .unwrap_or(i64::MAX);
        if created < cutoff {
            let _ = client
                .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
        }
    }
}

/// What a test may build its extra Router from.
pub struct Services {
    pub ctx: AppContext,
    pub storage: Storage,
    pub common: CommonConfig,
}

/// Options of `spawn_app_with`.
#[derive(Clone)]
pub struct TestOptions {
    pub limits: auth::RateLimits,
    pub access_ttl: Duration,
}

impl Default for TestOptions {
    fn default() -> Self {
        Self {
            limits: auth::RateLimits::default(),
            access_ttl: Duration::from_secs(900),
        }
    }
}

/// A running app for one test.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub http: reqwest::Client,
    pub db_name: String,
    pub database_url: String,
    pub redis_prefix: String,
    pub ctx: AppContext,
    pub storage: Storage,
    pub auth: auth::AuthState,
    pub keys: KeyPair,
    pub s3: EmbeddedS3,
    _data_dir: tempfile::TempDir,
}

/// A registered user and their session.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub email: String,
    pub password: String,
    pub token: String,
    pub refresh_token: String,
    pub user_id: Uuid,
    pub theater_id: Uuid,
}

/// The auth Router alone.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(TestOptions::default(), |_| Router::new()).await
}

/// The auth Router plus `extra(services)`, with the common layers, on port 0.
pub async fn spawn_app_with(
    options: TestOptions,
    extra: impl FnOnce(&Services) -> Router,
) -> TestApp {
    shared::telemetry::init_for_tests();
    let db_name = create_migrated_database().await;
    let database_url = database_url(&db_name);
    let redis_prefix = format!("test:{}:", Uuid::new_v4().simple());
    let keys = shared::dev_keys::generate().expect("key pair");
    let common = CommonConfig {
        database_url: database_url.clone(),
        database_pool_size: 8,
        redis_url: redis_url(),
        redis_prefix: redis_prefix.clone(),
        jwt: JwtConfig {
            issuer: shared::config::DEFAULT_ISSUER.into(),
            audience: shared::config::DEFAULT_AUDIENCE.into(),
            public_key_pem: keys.public_pem.clone(),
            access_ttl: options.access_ttl,
        },
        cors_origins: vec!["https://app.example.org".into()],
        body_limit: 6 * 1024 * 1024,
    };
    let auth = auth::AuthState::new(auth::AuthConfig {
        common: common.clone(),
        private_key_pem: keys.private_pem.clone(),
        refresh_ttl: Duration::from_secs(3600),
        limits: options.limits,
    })
    .expect("auth state");
    let data_dir = tempfile::tempdir().expect("temp dir");
    let s3 = EmbeddedS3::start(data_dir.path(), "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("embedded S3 starts");
    let storage = Storage::new(&test_storage_config(&s3)).await;
    storage.ensure_bucket().await.expect("bucket");
    let services = Services {
        ctx: auth.ctx.clone(),
        storage: storage.clone(),
        common: common.clone(),
    };
    let routes = Router::new()
        .merge(auth::router(auth.clone()))
        .merge(extra(&services));
    let app = shared::http::with_function_defaults(routes, &auth.ctx, &common);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = shared::runner::serve(listener, app).await;
    });
    TestApp {
        address,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client"),
        db_name,
        database_url,
        redis_prefix,
        ctx: auth.ctx.clone(),
        storage,
        auth,
        keys,
        s3,
        _data_dir: data_dir,
    }
}

/// The store a test's storage talks to: the test's own embedded store, or, when
/// `TEST_S3_ENDPOINT` is set (e.g. LocalStack at http://127.0.0.1:4566), a fresh bucket there
/// with `TEST_S3_ACCESS_KEY` / `TEST_S3_SECRET_KEY` (default `test` / `test`).
fn test_storage_config(embedded: &EmbeddedS3) -> shared::storage::StorageConfig {
    match std::env::var("TEST_S3_ENDPOINT") {
        Ok(endpoint) if !endpoint.trim().is_empty() => shared::storage::StorageConfig {
            bucket: format!(
                "theatre-test-{}",
                &Uuid::new_v4().simple().to_string()[..12]
            ),
            region: "us-east-1".into(),
            endpoint: Some(endpoint),
            credentials: Some((
                std::env::var("TEST_S3_ACCESS_KEY").unwrap_or_else(|_| "test".into()),
                std::env::var("TEST_S3_SECRET_KEY").unwrap_or_else(|_| "test".into()),
            )),
        },
        _ => embedded.storage_config("theatre-test"),
    }
}

/// A response read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The header `name` as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn read(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Reply {
        status,
        headers,
        body,
    }
}

impl TestApp {
    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        self.call_with(method, path, token, body, &[]).await
    }

    /// `call` with extra headers.
    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self
            .http
            .request(method.parse().expect("method"), self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        read(request.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call("GET", path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call("POST", path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call("PATCH", path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call("PUT", path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.call("DELETE", path, Some(token), None).await
    }

    /// Registers a new theatre with its admin.
    pub async fn register(&self, theater_name: &str, email: &str) -> TestUser {
        let password = "correct horse battery".to_string();
        let reply = self
            .call(
                "POST",
                "/api/v1/auth/register",
                None,
                Some(json!({
                    "theater_name": theater_name,
                    "email": email,
                    "password": password,
                    "first_name": "Анна",
                    "last_name": "Иванова",
                })),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "register: {:?}",
            reply.body
        );
        user_from(&reply.body, email, &password)
    }

    /// A fresh theatre with its admin, under a unique email.
    pub async fn new_theater(&self) -> TestUser {
        let tag = Uuid::new_v4().simple().to_string();
        self.register(
            &format!("Театр {}", &tag[..6]),
            &format!("admin-{tag}@example.org"),
        )
        .await
    }

    /// Creates a user holding the roles with these codes in `admin`'s theatre, and signs in.
    pub async fn user_with_roles(&self, admin: &TestUser, role_codes: &[&str]) -> TestUser {
        let roles = self.get("/api/v1/roles?limit=200", &admin.token).await;
        let role_ids: Vec<Value> = roles.body["items"]
            .as_array()
            .expect("roles")
            .iter()
            .filter(|r| role_codes.contains(&r["code"].as_str().unwrap_or_default()))
            .map(|r| r["id"].clone())
            .collect();
        assert_eq!(
            role_ids.len(),
            role_codes.len(),
            "all roles exist: {role_codes:?}"
        );
        let email = format!("user-{}@example.org", Uuid::new_v4().simple());
        let password = "another good password";
        let created = self
            .post(
                "/api/v1/users",
                &admin.token,
                json!({
                    "email": email, "password": password, "first_name": "Пётр",
                    "last_name": "Сидоров", "role_ids": role_ids,
                }),
            )
            .await;
        assert_eq!(
            created.status,
            StatusCode::CREATED,
            "create user: {:?}",
            created.body
        );
        self.login(&email, password).await
    }

    /// Signs in.
    pub async fn login(&self, email: &str, password: &str) -> TestUser {
        let reply = self
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(json!({ "email": email, "password": password })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "login: {:?}", reply.body);
        user_from(&reply.body, email, password)
    }

    /// A direct connection to this test's database.
    pub async fn db(&self) -> tokio_postgres::Client {
        let (client, connection) =
            tokio_postgres::connect(&self.database_url, tokio_postgres::NoTls)
                .await
                .expect("test database");
        tokio::spawn(connection);
        client
    }

    /// How many audit rows with `action` exist in `theater_id`.
    pub async fn audit_count(&self, theater_id: Uuid, action: &str) -> i64 {
        self.db()
            .await
            .query_one(
                "SELECT count(*) FROM audit_log WHERE theater_id = $1 AND action = $2",
                &[&theater_id, &action],
            )
            .await
            .expect("audit count")
            .get(0)
    }
}

fn user_from(body: &Value, email: &str, password: &str) -> TestUser {
    TestUser {
        email: email.to_string(),
        password: password.to_string(),
        token: body["access_token"]
            .as_str()
            .expect("access token")
            .to_string(),
        refresh_token: body["refresh_token"]
            .as_str()
            .expect("refresh token")
            .to_string(),
        user_id: body["user"]["id"]
            .as_str()
            .expect("user id")
            .parse()
            .expect("uuid"),
        theater_id: body["theater"]["id"]
            .as_str()
            .expect("theater id")
            .parse()
            .expect("uuid"),
    }
}

/// Polls `probe` every `every` until it answers `Ok`, and returns its value with how long that
/// took (to print as a figure, never to judge: speeds are measured in `bench/`). `limit` only
/// keeps a broken system from hanging the suite; past it the test fails with `what` and the last
/// state `probe` described in its `Err`.
pub async fn eventually<T, F, Fut>(
    what: &str,
    limit: Duration,
    every: Duration,
    mut probe: F,
) -> (T, Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let start = std::time::Instant::now();
    loop {
        let last = match probe().await {
            Ok(value) => return (value, start.elapsed()),
            Err(state) => state,
        };
        if start.elapsed() >= limit {
            panic!("{what}: not so after {limit:?} (last: {last})");
        }
        tokio::time::sleep(every).await;
    }
}
