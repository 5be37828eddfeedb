//! Previews: PDFs are their own preview; images get a PNG thumbnail (decoded with limits, so
//! a decompression bomb is refused); office files are converted to PDF by LibreOffice when it
//! is installed (the worker's container image installs it).

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::extract::Failure;
use crate::variants::ImageLimits;

/// Longest side of a thumbnail, in pixels.
pub const THUMBNAIL_SIZE: u32 = 480;

/// Office types LibreOffice turns into PDF.
pub const OFFICE_TYPES: &[&str] = &[
    "application/msword",
    "application/vnd.ms-excel",
    "application/x-ole-storage",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/rtf",
    "text/rtf",
];

/// A PNG thumbnail of the image at `path`, decoded within `limits`: the pixel count is read
/// from the header before anything is allocated (an image of more pixels is refused, it is a
/// decompression bomb at worst), and the decoder's allocations are capped. Blocking.
pub fn thumbnail(path: &Path, limits: &ImageLimits) -> Result<Vec<u8>, Failure> {
    let open = || -> Result<image::ImageReader<_>, Failure> {
        image::ImageReader::open(path)
            .and_then(|r| r.with_guessed_format())
            .map_err(Failure::unreadable)
    };
    let (width, height) = open()?.into_dimensions().map_err(Failure::unreadable)?;
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(Failure::Refused(format!(
            "the image is {width} × {height} pixels; at most {} megapixels are accepted",
            limits.max_pixels / 1_000_000
        )));
    }
    let mut reader = open()?;
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_alloc = Some(limits.max_alloc);
    reader.limits(decoder_limits);
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => Failure::Refused(format!(
            "decoding the image needs more than {} MB of memory",
            limits.max_alloc / (1024 * 1024)
        )),
        other => Failure::unreadable(other),
    })?;
    let thumb = img.thumbnail(THUMBNAIL_SIZE, THUMBNAIL_SIZE);
    let mut out = Cursor::new(Vec::new());
    thumb
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(Failure::unreadable)?;
    Ok(out.into_inner())
}

/// The LibreOffice binary, if installed.
pub fn libreoffice() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["soffice", "libreoffice"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// Converts the office file at `path` (named with its extension `ext`) to PDF with
/// LibreOffice headless. `Ok(None)` when LibreOffice is not installed.
pub async fn office_to_pdf(path: &Path, ext: &str) -> anyhow::Result<Option<Vec<u8>>> {
    let Some(soffice) = libreoffice() else {
        return Ok(None);
    };
    let dir = tempfile::tempdir()?;
    let input = dir.path().join(format!("input.{ext}"));
    tokio::fs::copy(path, &input).await?;
    let profile = dir.path().join("profile");
    let mut child = tokio::process::Command::new(soffice)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(dir.path())
        .arg(&input)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let status = tokio::time::timeout(Duration::from_secs(120), child.wait())
        .await
        .map_err(|_| anyhow::anyhow!("LibreOffice took longer than 120 s"))??;
    if !status.success() {
        anyhow::bail!("LibreOffice failed with {status}");
    }
    Ok(Some(tokio::fs::read(dir.path().join("input.pdf")).await?))
}
