//! A function's environment exactly as `infra/template.yaml` sets it, for running its binary
//! under the local Lambda Runtime API: the variable names and literal values come from the
//! template itself (the `Globals` plus the function's own `Environment`), and only values the
//! template derives from AWS resources (`!Ref Bucket`, `!Sub "…${Database.Endpoint.Address}…"`)
//! are replaced by their local stand-ins. A variable the code needs but the template does not set
//! (or sets under another name) therefore fails the runtime test, as it would fail on AWS.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_norway::Value;

/// What the template's resources and parameters are locally, by their template name: e.g.
/// `("Database", database_url)`, `("Bucket", bucket)`. A template value mentioning one of them
/// becomes that stand-in.
pub type StandIns = [(&'static str, String)];

/// The environment `infra/template.yaml` gives function `binary`, for `app`: its database, the
/// test Redis (under the app's own prefix), its key pair, the template's default CORS origin, and
/// the embedded S3 store of `app` standing in for the template's `Bucket` (with the endpoint and
/// credentials the execution role would provide on AWS).
pub fn function_environment(app: &crate::TestApp, binary: &str) -> Vec<(String, String)> {
    let s3 = app.s3.storage_config("theatre-test");
    let (access_key, secret_key) = s3.credentials.clone().expect("embedded S3 credentials");
    let endpoint = s3.endpoint.clone().expect("embedded S3 endpoint");
    let stand_ins = [
        ("Database", app.database_url.clone()),
        ("Redis", crate::redis_url()),
        ("JwtPublicKeyParameterName", app.keys.public_pem.clone()),
        ("JwtPrivateKeySecretName", app.keys.private_pem.clone()),
        ("Bucket", s3.bucket.clone()),
        ("CorsOrigins", "https://app.example.org".to_string()),
    ];
    lambda_environment(
        binary,
        &stand_ins,
        &[("REDIS_PREFIX", &app.redis_prefix)],
        &[
            ("AWS_REGION", &s3.region),
            ("S3_ENDPOINT", &endpoint),
            ("AWS_ACCESS_KEY_ID", &access_key),
            ("AWS_SECRET_ACCESS_KEY", &secret_key),
        ],
    )
}

/// `(name, value)` pairs borrowed, as `RuntimeApi::spawn_function` takes them.
pub fn pairs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Variables that on AWS come from the execution environment (the role's credentials, the
/// region), not from the template: the only ones a test may add.
pub const EXECUTION_ENVIRONMENT: &[&str] = &[
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "S3_ENDPOINT",
];

/// Variables a test may set to another value than the template's literal one, for isolation
/// from other tests (they must still be set by the template).
pub const ISOLATION: &[&str] = &["REDIS_PREFIX"];

fn template_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml")
}

fn load() -> Value {
    let path = template_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

fn variables(environment: &Value) -> BTreeMap<String, Value> {
    environment
        .get("Variables")
        .and_then(Value::as_mapping)
        .map(|vars| {
            vars.iter()
                .map(|(k, v)| (k.as_str().expect("variable name").to_string(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The template names a value refers to (`!Ref X`, `${X}` / `${X.Attr}` in `!Sub`, nested in
/// `!Join` and lists).
fn references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Tagged(tagged) => match (tagged.tag.to_string().as_str(), &tagged.value) {
            ("!Ref", Value::String(name)) => out.push(name.clone()),
            ("!Sub", Value::String(text)) => {
                for part in text.split("${").skip(1) {
                    let name = part.split(['}', '.']).next().unwrap_or_default();
                    out.push(name.to_string());
                }
            }
            (_, inner) => references(inner, out),
        },
        Value::Sequence(items) => items.iter().for_each(|v| references(v, out)),
        _ => {}
    }
}

fn resolve(name: &str, value: &Value, stand_ins: &StandIns) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => {
            let mut names = Vec::new();
            references(value, &mut names);
            stand_ins
                .iter()
                .find(|(template_name, _)| names.iter().any(|n| n == template_name))
                .map(|(_, local)| local.to_string())
                .unwrap_or_else(|| {
                    panic!(
                        "infra/template.yaml sets {name} from {names:?}: no local stand-in for it"
                    )
                })
        }
    }
}

/// The environment of the Lambda function whose `BuildProperties.Binary` is `binary`: the
/// template's global and function variables, template-derived values replaced by `stand_ins`,
/// then `isolation` (names in [`ISOLATION`] the template sets) and `execution` (names in
/// [`EXECUTION_ENVIRONMENT`]).
pub fn lambda_environment(
    binary: &str,
    stand_ins: &StandIns,
    isolation: &[(&str, &str)],
    execution: &[(&str, &str)],
) -> Vec<(String, String)> {
    let template = load();
    let globals = variables(&template["Globals"]["Function"]["Environment"]);
    let resources = template["Resources"]
        .as_mapping()
        .expect("Resources in the template");
    let function = resources
        .values()
        .find(|r| {
            r["Type"].as_str() == Some("AWS::Serverless::Function")
                && r["Metadata"]["BuildProperties"]["Binary"].as_str() == Some(binary)
        })
        .unwrap_or_else(|| panic!("infra/template.yaml has no function with Binary {binary}"));
    let mut vars = globals;
    vars.extend(variables(&function["Properties"]["Environment"]));
    let mut env: BTreeMap<String, String> = vars
        .iter()
        .map(|(name, value)| (name.clone(), resolve(name, value, stand_ins)))
        .collect();
    for (name, value) in isolation {
        assert!(
            ISOLATION.contains(name),
            "{name} is not an isolation variable"
        );
        let slot = env
            .get_mut(*name)
            .unwrap_or_else(|| panic!("infra/template.yaml does not set {name} for {binary}"));
        *slot = value.to_string();
    }
    for (name, value) in execution {
        assert!(
            EXECUTION_ENVIRONMENT.contains(name),
            "{name} must come from infra/template.yaml, not from the test"
        );
        env.insert(name.to_string(), value.to_string());
    }
    env.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stand_ins() -> Vec<(&'static str, String)> {
        [
            ("Database", "postgres://local/db"),
            ("Redis", "redis://local"),
            ("JwtPublicKeyParameterName", "PUBLIC"),
            ("JwtPrivateKeySecretName", "PRIVATE"),
            ("Bucket", "local-bucket"),
            ("CorsOrigins", "https://app.example.org"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect()
    }

    fn get<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
        env.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn the_inventory_function_gets_the_global_and_its_own_variables() {
        let env = lambda_environment("inventory", &stand_ins(), &[("REDIS_PREFIX", "t:")], &[]);
        assert_eq!(get(&env, "S3_BUCKET"), Some("local-bucket"));
        assert_eq!(get(&env, "DATABASE_URL"), Some("postgres://local/db"));
        assert_eq!(get(&env, "JWT_PUBLIC_KEY"), Some("PUBLIC"));
        assert_eq!(get(&env, "REDIS_PREFIX"), Some("t:"));
        assert!(
            get(&env, "JWT_PRIVATE_KEY").is_none(),
            "only auth holds the key"
        );
    }

    #[test]
    #[should_panic(expected = "must come from infra/template.yaml")]
    fn a_test_cannot_add_what_the_template_should_set() {
        lambda_environment("inventory", &stand_ins(), &[], &[("S3_BUCKET", "copy")]);
    }
}
