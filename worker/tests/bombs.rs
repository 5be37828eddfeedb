//! Files built to exhaust the worker (issue 8, item 10), uploaded through the documents API to
//! the real stack (PostgreSQL, Redis, S3) and read by the worker with its bounded extraction
//! child (the `worker` binary): a DOCX that inflates to 1.1 GB, a 121-megapixel PNG of 0.5 MB,
//! a PDF whose content stream inflates past the memory budget, a PDF slower than the deadline.
//!
//! The bombs are written by hand (deflate segments repeated, checksums combined), so making a
//! gigabyte bomb costs milliseconds and no gigabyte is ever held by the test.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::spawn_app;
use flate2::{Compress, Compression, FlushCompress};
use serde_json::Value;
use testkit::{TestApp, TestUser};

const MIB: usize = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Bomb makers

/// A raw deflate stream of `prefix` followed by `fill` repeated `count` times, with the CRC-32
/// and Adler-32 of what it inflates to. A 1 MiB segment of `fill`, compressed after a full
/// flush (no back-reference crosses it), is repeated.
struct Deflated {
    raw: Vec<u8>,
    crc32: u32,
    adler32: u32,
    inflated: u64,
}

fn deflate_segment(compress: &mut Compress, input: &[u8], flush: FlushCompress) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 8 + 4096);
    let start = compress.total_in();
    loop {
        let consumed = (compress.total_in() - start) as usize;
        out.reserve(64 * 1024);
        compress
            .compress_vec(&input[consumed..], &mut out, flush)
            .unwrap();
        let done = (compress.total_in() - start) as usize == input.len();
        if done && out.capacity() > out.len() {
            return out;
        }
    }
}

fn deflated(prefix: &[u8], fill: u8, count: u64) -> Deflated {
    let mut compress = Compress::new(Compression::best(), false);
    let chunk = vec![fill; MIB];
    let mut raw = deflate_segment(&mut compress, prefix, FlushCompress::Full);
    let segment = deflate_segment(&mut compress, &chunk, FlushCompress::Full);
    let whole = count / MIB as u64;
    let rest = (count % MIB as u64) as usize;
    for _ in 0..whole {
        raw.extend_from_slice(&segment);
    }
    raw.extend(deflate_segment(
        &mut compress,
        &chunk[..rest],
        FlushCompress::Full,
    ));
    raw.extend(deflate_segment(&mut compress, &[], FlushCompress::Finish));

    let mut crc = flate2::Crc::new();
    crc.update(prefix);
    let mut chunk_crc = flate2::Crc::new();
    chunk_crc.update(&chunk);
    for _ in 0..whole {
        crc.combine(&chunk_crc);
    }
    crc.update(&chunk[..rest]);

    // Adler-32: prefix byte by byte, then `count` equal bytes in closed form.
    const M: u128 = 65521;
    let (mut a, mut b) = (1u128, 0u128);
    for &byte in prefix {
        a = (a + byte as u128) % M;
        b = (b + a) % M;
    }
    let (n, c) = (count as u128, fill as u128);
    let b2 = (b + n * a + c * (n * (n + 1) / 2)) % M;
    let a2 = (a + n * c) % M;
    Deflated {
        raw,
        crc32: crc.sum(),
        adler32: ((b2 << 16) | a2) as u32,
        inflated: prefix.len() as u64 + count,
    }
}

/// A zip whose entries are `(name, deflated)`, written by hand (sizes under 4 GiB).
fn zip_of(entries: &[(&str, &Deflated)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, d) in entries {
        let offset = out.len() as u32;
        let fields = |buf: &mut Vec<u8>| {
            buf.extend(20u16.to_le_bytes()); // version needed
            buf.extend(0u16.to_le_bytes()); // flags
            buf.extend(8u16.to_le_bytes()); // deflate
            buf.extend(0u16.to_le_bytes()); // time
            buf.extend(0x21u16.to_le_bytes()); // date: 1980-01-01
            buf.extend(d.crc32.to_le_bytes());
            buf.extend((d.raw.len() as u32).to_le_bytes());
            buf.extend((d.inflated as u32).to_le_bytes());
            buf.extend((name.len() as u16).to_le_bytes());
            buf.extend(0u16.to_le_bytes()); // extra
        };
        out.extend(0x04034b50u32.to_le_bytes());
        fields(&mut out);
        out.extend(name.as_bytes());
        out.extend(&d.raw);
        central.extend(0x02014b50u32.to_le_bytes());
        central.extend(20u16.to_le_bytes()); // version made by
        fields(&mut central);
        central.extend([0u8; 10]); // comment length, disk, internal and external attributes
        central.extend(offset.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let central_offset = out.len() as u32;
    out.extend(&central);
    out.extend(0x06054b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(central_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// A DOCX whose `word/document.xml` inflates to `inflated` bytes (blank text in a paragraph).
fn docx_bomb(inflated: u64) -> Vec<u8> {
    docx_bomb_declaring(inflated, None)
}

/// Like [`docx_bomb`], its directory declaring `declared` bytes for the part when given.
fn docx_bomb_declaring(inflated: u64, declared: Option<u64>) -> Vec<u8> {
    let types = deflated(
        br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#,
        b' ',
        0,
    );
    let prefix = br#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>"#;
    let mut body = deflated(prefix, b' ', inflated - prefix.len() as u64);
    if let Some(declared) = declared {
        body.inflated = declared;
    }
    zip_of(&[
        ("[Content_Types].xml", &types),
        ("word/document.xml", &body),
    ])
}

/// A PNG of `side` × `side` black RGBA pixels: a few hundred KB that decode to side² × 4 bytes.
fn png_bomb(side: u32) -> Vec<u8> {
    let row = 1 + side as u64 * 4;
    let d = deflated(&[], 0, row * side as u64);
    let mut zlib = vec![0x78, 0xda];
    zlib.extend(&d.raw);
    zlib.extend(d.adler32.to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend(side.to_be_bytes());
    ihdr.extend(side.to_be_bytes());
    ihdr.extend([8, 6, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(&b"IHDR"[..], ihdr), (b"IDAT", zlib), (b"IEND", Vec::new())] {
        out.extend((data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(&data);
        out.extend(kind);
        out.extend(&data);
        out.extend(crc.sum().to_be_bytes());
    }
    out
}

/// A one-page PDF whose content stream is `content` (`/Filter /FlateDecode` when `flate` is
/// given), with the standard Helvetica as /F1.
fn pdf_with(content: &[u8], flate: Option<&Deflated>) -> Vec<u8> {
    let stream: Vec<u8> = match flate {
        Some(d) => {
            let mut z = vec![0x78, 0xda];
            z.extend(&d.raw);
            z.extend(d.adler32.to_be_bytes());
            z
        }
        None => content.to_vec(),
    };
    let filter = if flate.is_some() {
        " /Filter /FlateDecode"
    } else {
        ""
    };
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_vec(),
        [
            format!("<< /Length {}{filter} >>\nstream\n", stream.len()).into_bytes(),
            stream,
            b"\nendstream".to_vec(),
        ]
        .concat(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_vec(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).into_bytes());
        out.extend(body);
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).into_bytes());
    for o in offsets {
        out.extend(format!("{o:010} 00000 n \n").into_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .into_bytes(),
    );
    out
}

/// A PDF with `lines` lines of text: valid, and slow to read in full.
fn slow_pdf(lines: usize) -> Vec<u8> {
    let mut content = b"BT /F1 10 Tf 12 TL 40 780 Td\n".to_vec();
    for i in 0..lines {
        content.extend(format!("(Line {i} of the prompt book) Tj T*\n").into_bytes());
    }
    content.extend(b"ET\n");
    pdf_with(&content, None)
}

#[test]
fn the_bomb_makers_make_what_they_say() {
    // A small DOCX bomb reads back whole, with its CRC checked by the zip reader.
    let bytes = docx_bomb(3 * MIB as u64 + 5);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut entry = archive.by_name("word/document.xml").unwrap();
    assert_eq!(entry.size(), 3 * MIB as u64 + 5);
    let mut inflated = Vec::new();
    entry.read_to_end(&mut inflated).unwrap();
    assert_eq!(inflated.len(), 3 * MIB + 5);
    assert!(inflated.starts_with(b"<?xml"));
    // The PNG header says what it is; its pixels decode (a small one: 300 × 300).
    let png = png_bomb(300);
    let img = image::load_from_memory(&png).expect("a valid PNG");
    assert_eq!((img.width(), img.height()), (300, 300));
    // The gigabyte DOCX is small.
    assert!(docx_bomb(1_100_000_000).len() < 2 * MIB);
}

// ---------------------------------------------------------------------------------------------
// The stack

fn config(app: &TestApp) -> worker::WorkerConfig {
    let mut config =
        worker::WorkerConfig::new(&app.database_url, &testkit::redis_url(), &app.redis_prefix);
    config.poll_interval = Duration::from_millis(200);
    config.max_attempts = 1;
    config.extractor = Some(env!("CARGO_BIN_EXE_worker").into());
    config
}

async fn start(app: &TestApp, config: worker::WorkerConfig) -> worker::WorkerHandle {
    worker::start(worker::Deps::new(config, app.storage.clone()).expect("deps"))
        .await
        .expect("worker")
}

/// A new document with one version of `bytes` uploaded and completed: (document, version).
async fn upload(
    app: &TestApp,
    admin: &TestUser,
    name: &str,
    ct: &str,
    bytes: &[u8],
) -> (String, String) {
    let doc = common::document(app, admin).await;
    let version = common::upload(app, admin, &doc, name, ct, bytes).await;
    (doc, version)
}

/// The worker's verdict on a version (bombs take a while in a debug build).
async fn wait_done(app: &TestApp, admin: &TestUser, doc: &str, version: &str) -> Value {
    common::wait_done(app, admin, doc, version, Duration::from_secs(120)).await
}

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

// ---------------------------------------------------------------------------------------------
// The tests

#[tokio::test(flavor = "multi_thread")]
async fn a_docx_that_inflates_to_a_gigabyte_is_refused_with_a_readable_reason() {
    let app = spawn_app().await;
    let _worker = start(&app, config(&app)).await;
    let admin = app.new_theater().await;
    let bomb = docx_bomb(1_100_000_000);
    let (doc, version) = upload(&app, &admin, "смета.docx", DOCX, &bomb).await;
    let done = wait_done(&app, &admin, &doc, &version).await;
    assert_eq!(done["status"], "failed", "{done:?}");
    let error = done["error"].as_str().unwrap();
    assert!(error.contains("decompression bomb"), "{error}");
}

/// A worker reading files in-process (the archive limits are the code's own, not the
/// operating system's) with a 16 MiB inflation budget and no ratio limit.
async fn in_process_worker_with_small_budget(app: &TestApp) -> worker::WorkerHandle {
    let mut config = config(app);
    config.extractor = None;
    config.extract_limits.max_inflated_bytes = 16 * MIB as u64;
    config.extract_limits.max_ratio = u64::MAX;
    start(app, config).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_docx_declaring_more_than_the_budget_is_refused_before_inflating() {
    let app = spawn_app().await;
    let _worker = in_process_worker_with_small_budget(&app).await;
    let admin = app.new_theater().await;
    let bomb = docx_bomb(40 * MIB as u64);
    let (doc, version) = upload(&app, &admin, "план.docx", DOCX, &bomb).await;
    let done = wait_done(&app, &admin, &doc, &version).await;
    assert_eq!(done["status"], "failed", "{done:?}");
    let error = done["error"].as_str().unwrap();
    assert!(error.contains("more than 16 MB (41 MB)"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_docx_lying_about_its_size_is_stopped_while_inflating() {
    let app = spawn_app().await;
    let _worker = in_process_worker_with_small_budget(&app).await;
    let admin = app.new_theater().await;
    let liar = docx_bomb_declaring(40 * MIB as u64, Some(1000));
    let (doc, version) = upload(&app, &admin, "ложь.docx", DOCX, &liar).await;
    let done = wait_done(&app, &admin, &doc, &version).await;
    assert_eq!(done["status"], "failed", "{done:?}");
    let error = done["error"].as_str().unwrap();
    assert!(error.contains("more than 16 MB"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_of_121_megapixels_is_refused_before_it_is_decoded() {
    let app = spawn_app().await;
    let _worker = start(&app, config(&app)).await;
    let admin = app.new_theater().await;
    let bomb = png_bomb(11_000);
    assert!(bomb.len() < MIB, "{} bytes", bomb.len());
    let (doc, version) = upload(&app, &admin, "эскиз.png", "image/png", &bomb).await;
    let done = wait_done(&app, &admin, &doc, &version).await;
    assert_eq!(done["status"], "failed", "{done:?}");
    let error = done["error"].as_str().unwrap();
    assert!(error.contains("11000 × 11000"), "{error}");
    assert!(error.contains("50 megapixels"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pdf_that_inflates_past_the_memory_budget_is_stopped_and_refused() {
    let app = spawn_app().await;
    let mut config = config(&app);
    config.extract_limits.memory_bytes = 256 * MIB as u64;
    config.extract_limits.deadline = Duration::from_secs(300);
    let _worker = start(&app, config).await;
    let admin = app.new_theater().await;
    let stream = deflated(b"BT /F1 10 Tf (x) Tj ET\n", b' ', 1_100_000_000);
    let bomb = pdf_with(&[], Some(&stream));
    let (doc, version) = upload(&app, &admin, "партитура.pdf", "application/pdf", &bomb).await;
    let done = wait_done(&app, &admin, &doc, &version).await;
    assert_eq!(done["status"], "failed", "{done:?}");
    let error = done["error"].as_str().unwrap();
    assert!(error.contains("more than 256 MB of memory"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pdf_slower_than_the_deadline_is_killed_and_refused() {
    let app = spawn_app().await;
    let mut config = config(&app);
    config.extract_limits.deadline = Duration::from_secs(1);
    let _worker = start(&app, config).await;
    let admin = app.new_theater().await;
    let slow = slow_pdf(400_000);
    let (doc, version) = upload(&app, &admin, "суфлёр.pdf", "application/pdf", &slow).await;
    let done = wait_done(&app, &admin, &doc, &version).await;
    assert_eq!(done["status"], "failed", "{done:?}");
    let error = done["error"].as_str().unwrap();
    assert!(error.contains("longer than 1 s"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_small_pdf_is_read_by_the_bounded_child() {
    let app = spawn_app().await;
    let _worker = start(&app, config(&app)).await;
    let admin = app.new_theater().await;
    let pdf = pdf_with(b"BT /F1 12 Tf 72 712 Td (Prompt book) Tj ET\n", None);
    let (doc, version) = upload(&app, &admin, "книга.pdf", "application/pdf", &pdf).await;
    let done = wait_done(&app, &admin, &doc, &version).await;
    assert_eq!(done["status"], "ready", "{done:?}");
    assert_eq!(done["has_text"], true, "{done:?}");
}

/// The figure for the issue: the peak resident memory of `worker --once` (or of the binary in
/// `WORKER_BIN`, e.g. an older build) over the bombs above, with `/usr/bin/time`. Run with
/// `cargo test -p theatre-worker --test bombs -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement, not a check"]
async fn peak_memory_of_worker_once_under_the_bombs() {
    let app = spawn_app().await;
    let admin = app.new_theater().await;
    let stream = deflated(b"BT /F1 10 Tf (x) Tj ET\n", b' ', 1_100_000_000);
    for (name, ct, bytes) in [
        ("a.docx", DOCX, docx_bomb(1_100_000_000)),
        ("b.docx", DOCX, docx_bomb(1_100_000_000)),
        ("c.png", "image/png", png_bomb(11_000)),
        ("d.png", "image/png", png_bomb(11_000)),
        ("e.pdf", "application/pdf", pdf_with(&[], Some(&stream))),
    ] {
        upload(&app, &admin, name, ct, &bytes).await;
    }
    let bin = std::env::var("WORKER_BIN")
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_worker").into());
    let mut time = Command::new("/usr/bin/time");
    common::configure_for(&mut time, &app);
    let out = time
        .args(["-f", "max_rss_kib=%M elapsed=%e"])
        .arg(&bin)
        .arg("--once")
        .env("WORKER_MAX_ATTEMPTS", "1")
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    println!("{bin}");
    println!("{}", String::from_utf8_lossy(&out.stdout));
    println!("{}", String::from_utf8_lossy(&out.stderr));
    let rows = app
        .db()
        .await
        .query(
            "SELECT original_filename, status, coalesce(error, '') FROM document_versions ORDER BY original_filename",
            &[],
        )
        .await
        .unwrap();
    for r in rows {
        println!(
            "{}: {} {}",
            r.get::<_, String>(0),
            r.get::<_, String>(1),
            r.get::<_, String>(2)
        );
    }
}
