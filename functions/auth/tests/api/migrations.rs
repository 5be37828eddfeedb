//! The migration runner applies each migration exactly once, even when many processes start
//! together (as Lambdas do).

#[tokio::test(flavor = "multi_thread")]
async fn migrations_run_concurrently_apply_each_file_once() {
    let name = testkit::create_empty_database().await;
    let url = testkit::database_url(&name);
    let runs = (0..4).map(|_| {
        let url = url.clone();
        tokio::spawn(async move { shared::migrate::run(&url).await.map(|r| r.applied.len()) })
    });
    let results: Vec<usize> = futures::future::join_all(runs)
        .await
        .into_iter()
        .map(|r| r.unwrap().expect("every run succeeds"))
        .collect();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "sql")
        })
        .count();
    assert_eq!(
        results.iter().sum::<usize>(),
        files,
        "each migration applied by exactly one run: {results:?}"
    );
    assert_eq!(results.iter().filter(|n| **n > 0).count(), 1);

    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let recorded: i64 = client
        .query_one("SELECT count(*) FROM refinery_schema_history", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(recorded as usize, files);
    // And again later: nothing to do.
    assert!(shared::migrate::run(&url).await.unwrap().applied.is_empty());
}
