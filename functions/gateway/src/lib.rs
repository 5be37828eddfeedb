//! The local all-in-one: every function's Router in one process, migrations applied on start,
//! an embedded S3-compatible store when no endpoint is configured, a dev key pair, the OpenAPI
//! document and a browsable API reference.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;
use shared::config::{
    CommonConfig, DEFAULT_AUDIENCE, DEFAULT_DATABASE_URL, DEFAULT_ISSUER, DEFAULT_REDIS_URL,
    JwtConfig, flag, optional, parsed_or,
};
use shared::storage::{Storage, StorageConfig};

pub mod preflight;
pub mod web;

use shared::dev_keys as keys;
use shared::embedded_s3;

/// Everything the gateway is configured with.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    pub bind: SocketAddr,
    pub database_url: String,
    pub redis_url: String,
    pub redis_prefix: String,
    pub data_dir: PathBuf,
    /// An external S3 endpoint; `None` starts the embedded store.
    pub s3_endpoint: Option<String>,
    pub s3_bucket: String,
    /// Port of the embedded store (0 picks a free one).
    pub embedded_s3_port: u16,
    pub cors_origins: Vec<String>,
    pub limits: auth::RateLimits,
    pub create_demo: bool,
    /// Run the background worker in this process (`RUN_WORKER`, default true).
    pub run_worker: bool,
    /// The bearer token `GET /metrics` asks for (`METRICS_TOKEN`); without one `/metrics`
    /// answers 404.
    pub metrics_token: Option<String>,
}

impl GatewayConfig {
    /// Reads `PORT`, `BIND_ADDR`, `DATABASE_URL`, `REDIS_URL`, `REDIS_PREFIX`, `DATA_DIR`,
    /// `S3_ENDPOINT`, `S3_BUCKET`, `EMBEDDED_S3_PORT`, `CORS_ORIGINS`, `DEMO`, `RUN_WORKER`,
    /// `METRICS_TOKEN`.
    pub fn from_env() -> anyhow::Result<Self> {
        let port: u16 = parsed_or("PORT", 3000)?;
        let host: std::net::IpAddr =
            parsed_or("BIND_ADDR", std::net::IpAddr::from([127, 0, 0, 1]))?;
        Ok(Self {
            bind: SocketAddr::new(host, port),
            database_url: optional("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            redis_url: optional("REDIS_URL").unwrap_or_else(|| DEFAULT_REDIS_URL.into()),
            redis_prefix: optional("REDIS_PREFIX").unwrap_or_else(|| "theatre:".into()),
            data_dir: optional("DATA_DIR").unwrap_or_else(|| "data".into()).into(),
            s3_endpoint: optional("S3_ENDPOINT"),
            s3_bucket: optional("S3_BUCKET").unwrap_or_else(|| "theatre".into()),
            embedded_s3_port: parsed_or("EMBEDDED_S3_PORT", 9400)?,
            cors_origins: optional("CORS_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            limits: auth::RateLimits::from_env()?,
            create_demo: flag("DEMO", true)?,
            run_worker: flag("RUN_WORKER", true)?,
            metrics_token: optional("METRICS_TOKEN"),
        })
    }
}

/// A built gateway, ready to serve.
pub struct Gateway {
    pub router: Router,
    pub storage: Storage,
    /// The S3 endpoint in use (embedded or external).
    pub s3_endpoint: String,
    /// Set on the first start: the demo login.
    pub demo_login: Option<(String, String)>,
    /// Set on the first start: what the demo theatre was seeded with.
    pub demo_seed: Option<shared::seed::Summary>,
    pub auth: auth::AuthState,
    /// Keeps the embedded store running.
    pub embedded_s3: Option<embedded_s3::EmbeddedS3>,
    /// The in-process worker, when enabled; stop it with `shutdown()`.
    pub worker: Option<worker::WorkerHandle>,
}

/// Checks dependencies, migrates, prepares keys and storage, and assembles every Router.
pub async fn build(config: GatewayConfig) -> anyhow::Result<Gateway> {
    // The gateway keeps its metrics for `/metrics` (a no-op once a recorder is installed).
    shared::meters::prometheus();
    preflight::check(&config.database_url, &config.redis_url).await?;
    shared::migrate::run(&config.database_url)
        .await
        .context("applying migrations")?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating DATA_DIR {}", config.data_dir.display()))?;
    let keys = keys::load_or_create(&config.data_dir)?;

    let (embedded_s3, storage_config) = match &config.s3_endpoint {
        Some(endpoint) => (
            None,
            StorageConfig {
                endpoint: Some(endpoint.clone()),
                bucket: config.s3_bucket.clone(),
                ..StorageConfig::from_env().unwrap_or_else(|_| StorageConfig {
                    bucket: config.s3_bucket.clone(),
                    region: "us-east-1".into(),
                    endpoint: Some(endpoint.clone()),
                    credentials: None,
                })
            },
        ),
        None => {
            let s3 = embedded_s3::EmbeddedS3::start(
                &config.data_dir.join("s3"),
                SocketAddr::from(([127, 0, 0, 1], config.embedded_s3_port)),
            )
            .await?;
            let storage_config = s3.storage_config(&config.s3_bucket);
            (Some(s3), storage_config)
        }
    };
    let s3_endpoint = storage_config
        .endpoint
        .clone()
        .unwrap_or_else(|| "aws".into());
    let storage = Storage::new(&storage_config).await;
    storage
        .ensure_bucket()
        .await
        .with_context(|| format!("preparing bucket {} at {s3_endpoint}", config.s3_bucket))?;

    let common = CommonConfig {
        database_url: config.database_url.clone(),
        database_pool_size: 16,
        redis_url: config.redis_url.clone(),
        redis_prefix: config.redis_prefix.clone(),
        jwt: JwtConfig {
            issuer: optional("JWT_ISSUER").unwrap_or_else(|| DEFAULT_ISSUER.into()),
            audience: optional("JWT_AUDIENCE").unwrap_or_else(|| DEFAULT_AUDIENCE.into()),
            public_key_pem: keys.public_pem.clone(),
            access_ttl: Duration::from_secs(parsed_or("ACCESS_TOKEN_TTL_SECONDS", 900)?),
        },
        cors_origins: config.cors_origins.clone(),
        body_limit: parsed_or("BODY_LIMIT_BYTES", 6 * 1024 * 1024)?,
    };
    let auth_state = auth::AuthState::new(auth::AuthConfig {
        common: common.clone(),
        private_key_pem: keys.private_pem.clone(),
        refresh_ttl: Duration::from_secs(parsed_or("REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600)?),
        limits: config.limits,
    })?;

    let (demo_login, demo_seed) = match config.create_demo {
        true => create_demo(&auth_state, &storage, &config.data_dir)
            .await?
            .map(|(login, seeded)| (Some(login), Some(seeded)))
            .unwrap_or_default(),
        false => (None, None),
    };

    let inventory_state = inventory::InventoryState {
        ctx: auth_state.ctx.clone(),
        storage: storage.clone(),
    };
    let documents_state = documents::DocumentsState::new(
        auth_state.ctx.clone(),
        storage.clone(),
        documents::UploadLimits::from_env()?,
    );
    let performances_state = performances::PerformancesState::new(
        auth_state.ctx.clone(),
        storage.clone(),
        performances::ImageLimits::from_env()?,
    );
    let worker = if config.run_worker {
        let mut worker_config = worker::WorkerConfig::from_env()?;
        worker_config.database_url = config.database_url.clone();
        worker_config.redis_url = config.redis_url.clone();
        worker_config.redis_prefix = config.redis_prefix.clone();
        let mut deps = worker::Deps::new(worker_config, storage.clone())?;
        // `/health` reports the supervised worker (503 while it reconnects).
        deps.status = auth_state.ctx.worker.clone();
        Some(worker::start(deps).await?)
    } else {
        None
    };

    let reports_state = reports::ReportsState::new(auth_state.ctx.clone(), storage.clone())?;
    let router = router(
        &auth_state,
        inventory_state,
        &documents_state,
        &performances_state,
        reports_state,
        &common,
        config.metrics_token.clone(),
    );
    Ok(Gateway {
        router,
        storage,
        s3_endpoint,
        demo_login,
        demo_seed,
        auth: auth_state,
        embedded_s3,
        worker,
    })
}

/// The whole API's OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = auth::openapi();
    doc.merge(inventory::openapi());
    doc.info.title = "Theatre Management System API".into();
    doc.info.description = Some(
        "Backstage of a repertory theatre: accounts, inventory, documents, performances, schedule, \
         reports. \
         Errors are RFC 9457 problem+json."
            .into(),
    );
    let health = utoipa_axum::router::OpenApiRouter::<shared::AppContext>::new()
        .routes(utoipa_axum::routes!(shared::health::health))
        .routes(utoipa_axum::routes!(shared::health::live))
        .split_for_parts()
        .1;
    doc.merge(health);
    doc.merge(documents::openapi());
    doc.merge(schedule::openapi());
    doc.merge(performances::openapi());
    doc.merge(reports::openapi());
    // Last, after every function is merged: a new function's operations are finished too.
    shared::openapi::finish(&mut doc);
    doc
}

fn router(
    auth_state: &auth::AuthState,
    inventory_state: inventory::InventoryState,
    documents_state: &documents::DocumentsState,
    performances_state: &performances::PerformancesState,
    reports_state: reports::ReportsState,
    common: &CommonConfig,
    metrics_token: Option<String>,
) -> Router {
    let doc = openapi();
    let api = Router::new()
        .merge(auth::router(auth_state.clone()))
        .merge(inventory::router(inventory_state))
        .merge(documents::router(documents_state.clone()))
        .merge(schedule::router(schedule::ScheduleState::new(
            auth_state.ctx.clone(),
        )))
        .merge(performances::router(performances_state.clone()))
        .merge(reports::router(reports_state))
        // Every merged function's undeclared query parameters are a 400 (idempotent for the
        // functions that already guard their own Router).
        .layer(axum::middleware::from_fn_with_state(
            shared::openapi::QueryGuard::new(&doc),
            shared::openapi::check_query,
        ))
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc).into_response() }
            }),
        )
        // Prometheus text for an operator (only with METRICS_TOKEN set, see `shared::meters`);
        // not an API operation, so not in the OpenAPI document.
        .route(
            "/metrics",
            get(shared::meters::metrics_endpoint).with_state(shared::meters::MetricsAccess {
                token: metrics_token.map(Into::into),
                ctx: auth_state.ctx.clone(),
            }),
        );
    // Swagger UI from assets compiled into the binary (utoipa-swagger-ui's `vendored` feature):
    // /docs renders without internet, the raw JSON linked at the top. Merged outside the
    // trailing-slash normalisation: the UI lives at `/docs/`.
    let docs = Router::from(
        utoipa_swagger_ui::SwaggerUi::new("/docs")
            .config(utoipa_swagger_ui::Config::new(["/api/openapi.json"])),
    );
    let app = shared::http::with_function_defaults(api, &auth_state.ctx, common).merge(docs);
    web::with_front_end(app, &web::dist_dir())
}

/// The demo theatre of the first start: its admin, the staff of [`shared::seed::DEMO_USERS`]
/// and the data of [`shared::seed::demo_theater`], in one transaction; the logins go to
/// `DATA_DIR/demo-login.txt` (the admin's as `email:`/`password:` lines, the staff's as
/// `user: EMAIL PASSWORD ROLE` lines).
async fn create_demo(
    auth_state: &auth::AuthState,
    storage: &Storage,
    data_dir: &std::path::Path,
) -> anyhow::Result<Option<((String, String), shared::seed::Summary)>> {
    // Hashing the staff's passwords is slow on purpose: skip it on every later start.
    let any: bool = auth_state
        .ctx
        .db
        .get()
        .await?
        .query_one("SELECT EXISTS (SELECT 1 FROM theaters)", &[])
        .await?
        .get(0);
    if any {
        return Ok(None);
    }
    let started = std::time::Instant::now();
    let email = "admin@demo.theatre".to_string();
    let password = keys::random_token(12);
    let mut staff = Vec::new();
    for user in shared::seed::DEMO_USERS {
        let secret = keys::random_token(12);
        let parsed = auth::domain::Password::parse(&secret)
            .map_err(|e| anyhow::anyhow!("demo password {e}"))?;
        let hash = auth::password::hash(parsed)
            .await
            .map_err(|e| anyhow::anyhow!("hashing a demo password: {e}"))?;
        staff.push((*user, secret, hash));
    }
    let hashed: Vec<(shared::seed::DemoUser, String)> = staff
        .iter()
        .map(|(user, _, hash)| (*user, hash.clone()))
        .collect();
    let mut summary = None;
    let created = auth::demo::create_demo_theater_with(
        auth_state,
        "Демо-театр",
        &email,
        &password,
        async |tx, theater_id, admin_id| {
            summary = Some(
                shared::seed::demo_theater(
                    tx,
                    storage,
                    theater_id,
                    admin_id,
                    &hashed,
                    shared::seed::Size::DEMO,
                )
                .await
                .context("seeding the demo theatre")?,
            );
            Ok(())
        },
    )
    .await?;
    let Some(summary) = summary.filter(|_| created) else {
        return Ok(None);
    };
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        ?summary,
        "demo theatre seeded"
    );
    let mut file = format!(
        "email: {email}\npassword: {password}\n\n\
         # More demo accounts, one per line: user: EMAIL SECRET ROLE (position)\n"
    );
    for (user, secret, _) in &staff {
        file.push_str(&format!(
            "user: {} {secret} {} ({})\n",
            user.email, user.role, user.position
        ));
    }
    let path = data_dir.join("demo-login.txt");
    shared::dev_keys::write_private(&path, &file)?;
    Ok(Some(((email, password), summary)))
}
