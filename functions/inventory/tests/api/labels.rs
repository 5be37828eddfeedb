use serde_json::json;
use testkit::{StatusCode, TestApp, TestUser};

use crate::helpers::{item, spawn};

async fn raw(
    app: &TestApp,
    user: &TestUser,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (StatusCode, String, Vec<u8>) {
    let mut request = app
        .http
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(&user.token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (
        status,
        content_type,
        response.bytes().await.unwrap().to_vec(),
    )
}

#[tokio::test]
async fn an_item_has_a_qr_code_as_svg_and_png() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let stranger = app.new_theater().await;
    let performer = app.user_with_roles(&admin, &["performer"]).await;
    let thing = item(&app, &admin, json!({})).await;
    let id = thing["id"].as_str().unwrap();

    let (status, content_type, svg) = raw(
        &app,
        &admin,
        "GET",
        &format!("/api/v1/inventory/items/{id}/qr.svg"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "image/svg+xml");
    assert!(String::from_utf8(svg).unwrap().contains("<svg"));

    let (status, content_type, png) = raw(
        &app,
        &admin,
        "GET",
        &format!("/api/v1/inventory/items/{id}/qr.png"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "image/png");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));

    for suffix in ["qr.svg", "qr.png"] {
        let path = format!("/api/v1/inventory/items/{id}/{suffix}");
        assert_eq!(
            raw(&app, &stranger, "GET", &path, None).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            raw(&app, &performer, "GET", &path, None).await.0,
            StatusCode::FORBIDDEN
        );
    }
}

/// The text drawn with the embedded font, decoded through its ToUnicode map (lopdf's own
/// text extraction does not read that map).
fn embedded_font_text(content: &str) -> String {
    let hex_pairs = |s: &str| -> Vec<(u32, u32)> {
        let mut pairs = Vec::new();
        for line in s.lines() {
            let parts: Vec<&str> = line
                .split(['<', '>', ' '])
                .filter(|p| !p.is_empty())
                .collect();
            if let [a, b] = parts[..]
                && let (Ok(a), Ok(b)) = (u32::from_str_radix(a, 16), u32::from_str_radix(b, 16))
            {
                pairs.push((a, b));
            }
        }
        pairs
    };
    let cmap_start = content.find("begincmap").expect("a ToUnicode map");
    let cmap_end = cmap_start + content[cmap_start..].find("endcmap").unwrap();
    let map: std::collections::HashMap<u32, u32> = hex_pairs(&content[cmap_start..cmap_end])
        .into_iter()
        .collect();
    let mut text = String::new();
    for section in content.split("/F0 ").skip(1) {
        let Some(start) = section.find('<') else {
            continue;
        };
        let end = start + section[start..].find('>').unwrap();
        let hex = &section[start + 1..end];
        for chunk in hex.as_bytes().chunks(4) {
            let gid = u32::from_str_radix(std::str::from_utf8(chunk).unwrap(), 16).unwrap();
            if let Some(c) = map.get(&gid).and_then(|u| char::from_u32(*u)) {
                text.push(c);
            }
        }
        text.push('\n');
    }
    text
}

/// Every stream of the PDF, decompressed (page contents, layers, fonts).
fn pdf_content(bytes: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes).expect("a valid PDF");
    let mut all = Vec::new();
    for object in doc.objects.values() {
        if let Ok(stream) = object.as_stream() {
            all.extend(
                stream
                    .decompressed_content()
                    .unwrap_or_else(|_| stream.content.clone()),
            );
        }
    }
    String::from_utf8_lossy(&all).into_owned()
}

#[tokio::test]
async fn a_label_sheet_is_a_pdf_with_every_number_and_cyrillic_names() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let stranger = app.new_theater().await;
    let mut ids = Vec::new();
    let mut numbers = Vec::new();
    // 30 labels: more than one A4 page of 24.
    for i in 0..30 {
        let thing = item(&app, &admin, json!({ "name": format!("Подсвечник №{i}") })).await;
        ids.push(thing["id"].clone());
        numbers.push(thing["inventory_number"].as_str().unwrap().to_string());
    }
    let (status, content_type, pdf) = raw(
        &app,
        &admin,
        "POST",
        "/api/v1/inventory/items/labels",
        Some(json!({ "ids": ids })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(content_type, "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    assert_eq!(doc.get_pages().len(), 2);
    let content = pdf_content(&pdf);
    for n in &numbers {
        // Built-in font text is written as a hex string of its (ASCII) bytes.
        let hex: String = n.bytes().map(|b| format!("{b:02X}")).collect();
        assert!(content.contains(&format!("<{hex}> Tj")), "{n} printed");
    }
    // The Cyrillic font is embedded (its name is in the font program), not substituted.
    assert!(content.contains("DejaVuSans"));
    assert!(String::from_utf8_lossy(&pdf).contains("FontFile2"));
    // Streams are compressed: 30 QR codes drawn as rectangles are ~600 KB of operators raw.
    assert!(pdf.len() < 250_000, "30 labels are {} bytes", pdf.len());
    let text = embedded_font_text(&content);
    assert!(
        text.contains("Подсвечник"),
        "names decode as Cyrillic: {text:.200}"
    );

    let foreign = raw(
        &app,
        &stranger,
        "POST",
        "/api/v1/inventory/items/labels",
        Some(json!({ "ids": [ids[0]] })),
    )
    .await;
    assert_eq!(foreign.0, StatusCode::NOT_FOUND);
    let empty = app
        .post(
            "/api/v1/inventory/items/labels",
            &admin.token,
            json!({ "ids": [] }),
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let performer = app.user_with_roles(&admin, &["performer"]).await;
    let denied = app
        .post(
            "/api/v1/inventory/items/labels",
            &performer.token,
            json!({ "ids": [ids[0]] }),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_one_item_label_sheet_embeds_only_the_glyphs_it_prints() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let thing = item(&app, &admin, json!({ "name": "Шкатулка Жизели" })).await;
    let (status, _, pdf) = raw(
        &app,
        &admin,
        "POST",
        "/api/v1/inventory/items/labels",
        Some(json!({ "ids": [thing["id"]] })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));
    // The whole DejaVu Sans is about 740 KB (the sheet was 890 KB with it): a subset of the
    // few glyphs printed stays far below.
    assert!(
        dejavu::sans::regular().len() > 500_000,
        "the bound below means something"
    );
    assert!(pdf.len() < 60_000, "one label is {} bytes", pdf.len());
    // A reader other than our own ToUnicode decoding finds the Cyrillic name.
    let text = pdf_extract::extract_text_from_mem(&pdf).expect("readable PDF");
    assert!(
        text.contains("Шкатулка Жизели"),
        "the name is extractable: {text:.200}"
    );
    assert!(text.contains(thing["inventory_number"].as_str().unwrap()));
}
