//! Reports over data each test seeds through the owners' APIs (inventory) or as rows (events,
//! documents), with the expected figures computed here from what was seeded, never with the
//! reports' own SQL. Files are read back by independent readers: XLSX by calamine cell by cell
//! (types, not only text), CSV by the csv crate, PDF by poppler's `pdftotext`.

use std::collections::HashMap;

use calamine::{Data, Reader, Xlsx};
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::{TestApp, TestOptions, TestUser};
use uuid::Uuid;

async fn spawn() -> TestApp {
    testkit::spawn_app_with(TestOptions::default(), |s| {
        let inventory = inventory::InventoryState {
            ctx: s.ctx.clone(),
            storage: s.storage.clone(),
        };
        let reports = reports::ReportsState::new(s.ctx.clone(), s.storage.clone()).unwrap();
        inventory::router(inventory).merge(reports::router(reports))
    })
    .await
}

fn today() -> chrono::NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Europe::Moscow)
        .date_naive()
}

async fn bytes(app: &TestApp, path: &str, token: &str) -> (StatusCode, String, Vec<u8>) {
    let res = app
        .http
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, res.bytes().await.unwrap().to_vec())
}

struct Seeded {
    /// category code → (items, units, purchase total, current total)
    by_category: HashMap<String, (i64, i64, f64, f64)>,
    items: Vec<Value>,
}

/// Items in two categories with quantities and prices, one of them issued and overdue, one
/// named like a formula.
async fn seed_inventory(app: &TestApp, admin: &TestUser) -> Seeded {
    let categories = app
        .get("/api/v1/inventory/categories?limit=200", &admin.token)
        .await;
    let category = |code: &str| -> String {
        categories.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .unwrap_or_else(|| panic!("category {code}: {:?}", categories.body))["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let specs = [
        ("props", "Канделябр", 3, "1200.50", "900.00"),
        ("props", "=SUM(A1:A9)", 1, "10.00", "5.00"),
        ("costumes", "Платье Нины", 2, "15000.00", "12000.00"),
        ("costumes", "Шляпа", 5, "700.00", "350.25"),
    ];
    let mut by_category: HashMap<String, (i64, i64, f64, f64)> = HashMap::new();
    let mut items = Vec::new();
    for (code, name, quantity, purchase, current) in specs {
        let item = app
            .post(
                "/api/v1/inventory/items",
                &admin.token,
                json!({"name": name, "category_id": category(code), "quantity": quantity,
                       "purchase_price": purchase, "current_value": current}),
            )
            .await;
        assert_eq!(item.status, StatusCode::CREATED, "{:?}", item.body);
        let entry = by_category.entry(code.to_string()).or_default();
        entry.0 += 1;
        entry.1 += quantity;
        entry.2 += purchase.parse::<f64>().unwrap() * quantity as f64;
        entry.3 += current.parse::<f64>().unwrap() * quantity as f64;
        items.push(item.body);
    }
    Seeded { by_category, items }
}

fn rows(reply: &Value) -> &Vec<Value> {
    reply["rows"].as_array().expect("rows")
}

#[tokio::test(flavor = "multi_thread")]
async fn inventory_reports_match_what_was_seeded_and_check_permissions() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let seeded = seed_inventory(&app, &admin).await;

    // Stock by category: exactly the seeded categories, with their counts.
    let stock = app
        .get(
            "/api/v1/reports/inventory_stock?group_by=category",
            &admin.token,
        )
        .await;
    assert_eq!(stock.status, StatusCode::OK, "{:?}", stock.body);
    assert!(!stock.body["theatre"].as_str().unwrap().is_empty());
    let got: HashMap<String, (i64, i64)> = rows(&stock.body)
        .iter()
        .map(|r| {
            (
                r["group"].as_str().unwrap().to_string(),
                (r["items"].as_i64().unwrap(), r["units"].as_i64().unwrap()),
            )
        })
        .collect();
    let expected: HashMap<String, (i64, i64)> = seeded
        .by_category
        .iter()
        .map(|(k, v)| (k.clone(), (v.0, v.1)))
        .collect();
    assert_eq!(got, expected);
    // No money without the financial permission's report.
    assert!(rows(&stock.body)[0].get("current_value").is_none());

    // Value: sums of price × quantity.
    let value = app
        .get("/api/v1/reports/inventory_value", &admin.token)
        .await;
    assert_eq!(value.status, StatusCode::OK, "{:?}", value.body);
    for row in rows(&value.body) {
        let code = row["group"].as_str().unwrap();
        let (_, _, purchase, current) = seeded.by_category[code];
        assert!((row["purchase_value"].as_f64().unwrap() - purchase).abs() < 0.005);
        assert!((row["current_value"].as_f64().unwrap() - current).abs() < 0.005);
    }

    // Issue one item to the admin, then make it overdue by two days.
    let issued = &seeded.items[0];
    let issued_id = issued["id"].as_str().unwrap();
    let issue = app
        .post(
            &format!("/api/v1/inventory/items/{issued_id}/movements"),
            &admin.token,
            json!({"kind": "issue", "holder_user_id": admin.user_id,
                   "due_at": (Utc::now() + Duration::days(1)).to_rfc3339()}),
        )
        .await;
    assert!(issue.status.is_success(), "{:?}", issue.body);
    app.db()
        .await
        .execute(
            "UPDATE inventory_items SET due_at = now() - interval '2 days 1 hour' WHERE id = $1",
            &[&issued_id.parse::<Uuid>().unwrap()],
        )
        .await
        .unwrap();
    let overdue = app
        .get("/api/v1/reports/inventory_overdue", &admin.token)
        .await;
    assert_eq!(overdue.status, StatusCode::OK, "{:?}", overdue.body);
    let overdue_rows = rows(&overdue.body);
    assert_eq!(overdue_rows.len(), 1);
    assert_eq!(
        overdue_rows[0]["inventory_number"],
        issued["inventory_number"]
    );
    assert_eq!(overdue_rows[0]["days_overdue"], 2);

    // Movements today: a receipt per item and the issue.
    let day = today();
    let movements = app
        .get(
            &format!("/api/v1/reports/inventory_movements?from={day}&to={day}"),
            &admin.token,
        )
        .await;
    assert_eq!(movements.status, StatusCode::OK, "{:?}", movements.body);
    let kinds: Vec<&str> = rows(&movements.body)
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), seeded.items.len() + 1);
    assert_eq!(kinds.iter().filter(|k| **k == "issue").count(), 1);
    assert_eq!(
        kinds.iter().filter(|k| **k == "receipt").count(),
        seeded.items.len()
    );
    // The period before the seeding has none.
    let yesterday = day - Duration::days(1);
    let empty = app
        .get(
            &format!("/api/v1/reports/inventory_movements?from={yesterday}&to={yesterday}"),
            &admin.token,
        )
        .await;
    assert_eq!(rows(&empty.body).len(), 0);

    // Usage: the issued item first; least-used lists an unused one first.
    let usage = app
        .get(
            &format!("/api/v1/reports/inventory_usage?from={day}&to={day}&limit=2"),
            &admin.token,
        )
        .await;
    assert_eq!(usage.status, StatusCode::OK, "{:?}", usage.body);
    assert_eq!(rows(&usage.body).len(), 2);
    assert_eq!(
        rows(&usage.body)[0]["inventory_number"],
        issued["inventory_number"]
    );
    assert_eq!(rows(&usage.body)[0]["issues"], 1);
    let least = app
        .get(
            &format!("/api/v1/reports/inventory_usage?from={day}&to={day}&order=least"),
            &admin.token,
        )
        .await;
    assert_eq!(rows(&least.body)[0]["uses"], 0);
    assert_eq!(rows(&least.body).last().unwrap()["uses"], 1);

    // Parameters: a period report without its period, a parameter the report does not read,
    // an unknown code.
    let missing = app
        .get("/api/v1/reports/inventory_movements", &admin.token)
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    let foreign = app
        .get(
            &format!("/api/v1/reports/inventory_stock?from={day}&to={day}"),
            &admin.token,
        )
        .await;
    assert_eq!(
        foreign.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        foreign.body
    );
    let unknown = app.get("/api/v1/reports/nonsense", &admin.token).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // Permissions: a head of department (inventory:view without the financial permission)
    // runs stock but not value, and the list shows only what they may run.
    let keeper = app.user_with_roles(&admin, &["department_head"]).await;
    let list = app.get("/api/v1/reports", &keeper.token).await;
    let codes: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"inventory_stock"), "{codes:?}");
    assert!(!codes.contains(&"inventory_value"), "{codes:?}");
    let refused = app
        .get("/api/v1/reports/inventory_value", &keeper.token)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let accountant = app.user_with_roles(&admin, &["accountant"]).await;
    let allowed = app
        .get("/api/v1/reports/inventory_value", &accountant.token)
        .await;
    assert_eq!(allowed.status, StatusCode::OK, "{:?}", allowed.body);

    // Another theatre sees its own (empty) inventory, never this one's.
    let other = app.new_theater().await;
    let theirs = app
        .get("/api/v1/reports/inventory_stock", &other.token)
        .await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert_eq!(rows(&theirs.body).len(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn files_are_typed_spreadsheets_neutralised_csv_and_pdfs_with_cyrillic() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let seeded = seed_inventory(&app, &admin).await;

    // XLSX, cell by cell.
    let (status, ct, body) = bytes(
        &app,
        "/api/v1/reports/inventory_value?format=xlsx",
        &admin.token,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("application/vnd.openxmlformats"), "{ct}");
    let mut book = Xlsx::new(std::io::Cursor::new(body.clone())).unwrap();
    let names = book.sheet_names().to_vec();
    assert_eq!(names.len(), 2);
    let sheet = book.worksheet_range(&names[0]).unwrap();
    assert_eq!(
        sheet.get_value((0, 0)),
        Some(&Data::String("Группа".into()))
    );
    assert_eq!(
        sheet.get_value((0, 5)),
        Some(&Data::String("Текущая стоимость".into()))
    );
    assert_eq!(sheet.height(), 1 + seeded.by_category.len());
    for r in 1..sheet.height() as u32 {
        let Some(Data::String(code)) = sheet.get_value((r, 0)) else {
            panic!("a text group in row {r}: {:?}", sheet.get_value((r, 0)));
        };
        let (items, units, purchase, current) = seeded.by_category[code.as_str()];
        assert_eq!(sheet.get_value((r, 2)), Some(&Data::Float(items as f64)));
        assert_eq!(sheet.get_value((r, 3)), Some(&Data::Float(units as f64)));
        let Some(Data::Float(p)) = sheet.get_value((r, 4)) else {
            panic!("money is a number");
        };
        assert!((p - purchase).abs() < 0.005);
        let Some(Data::Float(c)) = sheet.get_value((r, 5)) else {
            panic!("money is a number");
        };
        assert!((c - current).abs() < 0.005);
    }
    // The "about" sheet: the generation time is a date-time cell.
    let about = book.worksheet_range(&names[1]).unwrap();
    assert!(
        matches!(about.get_value((3, 1)), Some(Data::DateTime(_))),
        "{:?}",
        about.get_value((3, 1))
    );
    // Number formats and the frozen header, from the sheet's XML.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body)).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
        &mut xml,
    )
    .unwrap();
    assert!(
        xml.contains(r#"ySplit="1""#) && xml.contains(r#"state="frozen""#),
        "{xml}"
    );
    let mut styles = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/styles.xml").unwrap(), &mut styles).unwrap();
    assert!(styles.contains("₽"), "{styles}");

    // Dates are date cells: the movements' times.
    let day = today();
    let (_, _, body) = bytes(
        &app,
        &format!("/api/v1/reports/inventory_movements?format=xlsx&from={day}&to={day}"),
        &admin.token,
    )
    .await;
    let mut book = Xlsx::new(std::io::Cursor::new(body)).unwrap();
    let first = book.sheet_names()[0].clone();
    let sheet = book.worksheet_range(&first).unwrap();
    assert_eq!(sheet.height(), 1 + seeded.items.len());
    let Some(Data::DateTime(at)) = sheet.get_value((1, 0)) else {
        panic!("a date-time cell: {:?}", sheet.get_value((1, 0)));
    };
    assert_eq!(at.as_datetime().unwrap().date(), day);
    assert_eq!(sheet.get_value((1, 4)), Some(&Data::Float(3.0)));

    // CSV: a byte-order mark, the titles, a formula neutralised.
    let (status, ct, body) = bytes(
        &app,
        &format!("/api/v1/reports/inventory_usage?format=csv&from={day}&to={day}&limit=100"),
        &admin.token,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/csv"), "{ct}");
    assert!(body.starts_with(b"\xEF\xBB\xBF"));
    let mut reader = csv::Reader::from_reader(&body[3..]);
    assert_eq!(&reader.headers().unwrap()[1], "Предмет");
    let names: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[1].to_string())
        .collect();
    assert_eq!(names.len(), seeded.items.len());
    assert!(names.contains(&"'=SUM(A1:A9)".to_string()), "{names:?}");

    // PDF: valid, and pdftotext reads the title, the theatre and a Cyrillic item name.
    let (status, ct, body) = bytes(
        &app,
        "/api/v1/reports/inventory_value?format=pdf",
        &admin.token,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "application/pdf");
    assert!(body.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, &body).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args([path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let theatre = app.get("/api/v1/theater", &admin.token).await;
    assert!(text.contains("Инвентарь: стоимость"), "{text}");
    assert!(
        text.contains(theatre.body["name"].as_str().unwrap()),
        "{text}"
    );
    assert!(text.contains("Сформирован"), "{text}");
    assert!(text.contains("Костюмы"), "{text}");
    // The font is a subset: far smaller than DejaVu Sans itself (~740 KB).
    assert!(body.len() < 200_000, "{} bytes", body.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn schedule_and_document_reports_count_the_seeded_rows() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let db = app.db().await;
    let t = admin.theater_id;
    let venue: Uuid = db
        .query_one(
            "SELECT id FROM venues WHERE theater_id = $1 AND code = 'main-stage'",
            &[&t],
        )
        .await
        .unwrap()
        .get(0);
    // Three events on 2026-03-10 (Moscow): two rehearsals (one cancelled), one show of 3 h.
    let events = [
        (
            "rehearsal",
            "planned",
            "2026-03-10T07:00:00Z",
            "2026-03-10T09:00:00Z",
        ),
        (
            "rehearsal",
            "cancelled",
            "2026-03-10T09:00:00Z",
            "2026-03-10T10:00:00Z",
        ),
        (
            "performance",
            "confirmed",
            "2026-03-10T16:00:00Z",
            "2026-03-10T19:00:00Z",
        ),
    ];
    for (kind, status, starts, ends) in events {
        let id = Uuid::now_v7();
        db.execute(
            "INSERT INTO events (id, theater_id, kind, title, venue_id, starts_at, ends_at, status)
             VALUES ($1, $2, $3, 'Событие', $4, $5::text::timestamptz, $6::text::timestamptz, $7)",
            &[&id, &t, &kind, &venue, &starts, &ends, &status],
        )
        .await
        .unwrap();
        db.execute(
            "INSERT INTO event_participants (id, theater_id, event_id, user_id, answer)
             VALUES ($1, $2, $3, $4, 'confirmed')",
            &[&Uuid::now_v7(), &t, &id, &admin.user_id],
        )
        .await
        .unwrap();
    }
    let q = "from=2026-03-10&to=2026-03-10";
    let by_kind = app
        .get(&format!("/api/v1/reports/events_by_kind?{q}"), &admin.token)
        .await;
    assert_eq!(by_kind.status, StatusCode::OK, "{:?}", by_kind.body);
    let row = |kind: &str| {
        rows(&by_kind.body)
            .iter()
            .find(|r| r["kind"] == kind)
            .unwrap()
            .clone()
    };
    assert_eq!(row("rehearsal")["total"], 2);
    assert_eq!(row("rehearsal")["cancelled"], 1);
    assert_eq!(row("rehearsal")["planned"], 1);
    assert_eq!(row("performance")["confirmed"], 1);
    assert_eq!(row("meeting")["total"], 0);
    assert_eq!(row("rehearsal")["name"], "Репетиция");

    // Main stage: 2 h + 3 h of the 24 h day (the cancelled one does not count).
    let venues = app
        .get(
            &format!("/api/v1/reports/venue_utilisation?{q}"),
            &admin.token,
        )
        .await;
    assert_eq!(venues.status, StatusCode::OK, "{:?}", venues.body);
    let main = rows(&venues.body)
        .iter()
        .find(|r| r["events"] == 2)
        .expect("the main stage")
        .clone();
    assert_eq!(main["booked_hours"].as_f64().unwrap(), 5.0);
    assert_eq!(main["available_hours"].as_f64().unwrap(), 24.0);
    assert!((main["utilisation"].as_f64().unwrap() - 5.0 / 24.0).abs() < 0.001);

    let load = app
        .get(
            &format!("/api/v1/reports/participant_load?{q}"),
            &admin.token,
        )
        .await;
    assert_eq!(rows(&load.body).len(), 1);
    assert_eq!(rows(&load.body)[0]["events"], 2);
    assert_eq!(rows(&load.body)[0]["hours"].as_f64().unwrap(), 5.0);
    assert_eq!(rows(&load.body)[0]["performances"], 1);

    // Documents: two contracts (one archived) and one finance document the admin sees, a
    // documents viewer without the financial permission does not.
    let category = |code: &'static str| {
        let db = &db;
        async move {
            db.query_one(
                "SELECT id FROM document_categories WHERE theater_id = $1 AND code = $2",
                &[&t, &code],
            )
            .await
            .unwrap()
            .get::<_, Uuid>(0)
        }
    };
    let contracts = category("contracts").await;
    let finance = category("finance").await;
    for (cat, status) in [
        (contracts, "active"),
        (contracts, "archived"),
        (finance, "active"),
    ] {
        db.execute(
            "INSERT INTO documents (id, theater_id, category_id, title, status)
             VALUES ($1, $2, $3, 'Документ', $4)",
            &[&Uuid::now_v7(), &t, &cat, &status],
        )
        .await
        .unwrap();
    }
    let docs = app
        .get("/api/v1/reports/documents_by_category", &admin.token)
        .await;
    let find =
        |body: &Value, code: &str| rows(body).iter().find(|r| r["category"] == code).cloned();
    let c = find(&docs.body, "contracts").unwrap();
    assert_eq!(
        (
            c["total"].clone(),
            c["active"].clone(),
            c["archived"].clone()
        ),
        (json!(2), json!(1), json!(1))
    );
    assert_eq!(find(&docs.body, "finance").unwrap()["total"], 1);
    // A producer (documents:view without the financial permission) does not count finance.
    let producer = app.user_with_roles(&admin, &["producer"]).await;
    let theirs = app
        .get("/api/v1/reports/documents_by_category", &producer.token)
        .await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert_eq!(find(&theirs.body, "contracts").unwrap()["total"], 2);
    assert!(find(&theirs.body, "finance").is_none(), "{:?}", theirs.body);
    // An accountant (no schedule:view) may not run the schedule reports.
    let accountant = app.user_with_roles(&admin, &["accountant"]).await;
    let refused = app
        .get(
            &format!("/api/v1/reports/events_by_kind?{q}"),
            &accountant.token,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.body["detail"]
            .as_str()
            .map(|d| d.contains("schedule:view")),
        Some(true),
        "{:?}",
        refused.body
    );
}

/// The figure of issue 13: the movement-activity report over 100,000 movements as XLSX — the
/// time to query and render it and the process's peak resident memory (VmHWM). Ignored by
/// default (it seeds 100,000 rows); run with
/// `cargo test --workspace --test reports_api -- --ignored --nocapture movement_activity_figure`.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement (seeds 100,000 movements and prints time and peak memory), not a check"]
async fn movement_activity_figure() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let db = app.db().await;
    let t = admin.theater_id;
    db.execute(
        "WITH c AS (SELECT id FROM inventory_categories WHERE theater_id = $1 AND code = 'props')
         INSERT INTO inventory_items (id, theater_id, inventory_number, name, category_id)
         SELECT gen_random_uuid(), $1, 'F-' || n, 'Предмет № ' || n, c.id
         FROM generate_series(1, 1000) AS n, c",
        &[&t],
    )
    .await
    .unwrap();
    db.execute(
        "INSERT INTO inventory_movements (id, theater_id, item_id, kind, quantity, from_status,
             to_status, comment, actor_id, created_at)
         SELECT gen_random_uuid(), $1, i.id,
                CASE WHEN n % 2 = 0 THEN 'issue' ELSE 'return' END, 1,
                CASE WHEN n % 2 = 0 THEN 'in_stock' ELSE 'in_use' END,
                CASE WHEN n % 2 = 0 THEN 'in_use' ELSE 'in_stock' END,
                'Выдача на спектакль «Чайка»', $2,
                '2026-11-01T00:00:00Z'::timestamptz + n * interval '25 seconds'
         FROM generate_series(1, 100000) AS n
         JOIN LATERAL (SELECT id FROM inventory_items
                       WHERE theater_id = $1 AND inventory_number = 'F-' || (n % 1000 + 1)) i ON true",
        &[&t, &admin.user_id],
    )
    .await
    .unwrap();
    // Planner statistics, as a table that grew over time has them (right after a bulk insert
    // the planner takes the table for empty and nests loops: 19 s instead of 0.5 s).
    db.execute("ANALYZE inventory_movements, inventory_items", &[])
        .await
        .unwrap();
    let caller = reports::catalog::Caller {
        theater_id: t,
        user_id: admin.user_id,
        permissions: shared::permissions::PermissionSet::from_strings(["admin:full"]),
    };
    let params = reports::catalog::Params {
        from: Some("2026-11-01".parse().unwrap()),
        to: Some("2026-11-30".parse().unwrap()),
        ..Default::default()
    };
    let hwm = || {
        std::fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .find(|l| l.starts_with("VmHWM"))
            .unwrap()
            .to_string()
    };
    let before = hwm();
    let started = std::time::Instant::now();
    let client = app.ctx.db.get().await.unwrap();
    let table = reports::catalog::run(
        &client,
        &caller,
        reports::catalog::ReportCode::InventoryMovements,
        &params,
        Utc::now(),
    )
    .await
    .unwrap();
    let queried = started.elapsed();
    let rows = table.rows.len();
    let (_, bytes) = reports::routes::render_file(table, reports::render::ReportFormat::Xlsx)
        .await
        .unwrap();
    let total = started.elapsed();
    assert!(rows >= 99_000, "{rows} rows");
    println!(
        "movement activity: {rows} rows, query {queried:?}, query + XLSX {total:?}, \
         {} bytes; peak RSS before {before}, after {}",
        bytes.len(),
        hwm()
    );
}
