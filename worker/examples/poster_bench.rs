//! Times the poster pipeline ([`worker::variants::render`], the very function the
//! `process_poster` job runs) on one image. See `bench/poster.sh` for the comparison with
//! `vipsthumbnail`.
//!
//! ```text
//! poster_bench generate big.jpg [6000x4000]   # a noisy gradient JPEG (quality 90)
//! poster_bench big.jpg [OUT_DIR]              # render, print the wall time, keep the variants
//! ```

use std::time::Instant;

use image::RgbImage;
use image::codecs::jpeg::JpegEncoder;
use worker::variants::{ImageLimits, render};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [cmd, path, rest @ ..] if cmd == "generate" => {
            let (w, h) = match rest.first() {
                Some(size) => {
                    let (w, h) = size
                        .split_once('x')
                        .ok_or_else(|| anyhow::anyhow!("size as WIDTHxHEIGHT"))?;
                    (w.parse()?, h.parse()?)
                }
                None => (6000, 4000),
            };
            generate(path, w, h)
        }
        [path, rest @ ..] => bench(path, rest.first().map(String::as_str)),
        _ => anyhow::bail!("usage: poster_bench generate FILE [WxH] | poster_bench FILE [OUT_DIR]"),
    }
}

/// A gradient with per-pixel noise: realistic for a JPEG encoder (a flat image compresses to
/// nothing and decodes unrealistically fast).
fn generate(path: &str, width: u32, height: u32) -> anyhow::Result<()> {
    let mut state: u32 = 0x9e37_79b9;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state % 49) as i32 - 24
    };
    let img = RgbImage::from_fn(width, height, |x, y| {
        let base = [
            (x * 255 / width) as i32,
            (y * 255 / height) as i32,
            ((x + y) * 255 / (width + height)) as i32,
        ];
        image::Rgb(base.map(|c| (c + noise()).clamp(0, 255) as u8))
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img)?;
    std::fs::write(path, &out)?;
    println!("{path}: {width}x{height}, {} bytes", out.len());
    Ok(())
}

fn bench(path: &str, out_dir: Option<&str>) -> anyhow::Result<()> {
    let bytes = std::fs::read(path)?;
    let started = Instant::now();
    let rendered = render(&bytes, &ImageLimits::default())?;
    let elapsed = started.elapsed();
    println!(
        "{path}: {}x{} upright, {} variants in {:.0} ms",
        rendered.width,
        rendered.height,
        rendered.variants.len(),
        elapsed.as_secs_f64() * 1000.0
    );
    for v in &rendered.variants {
        println!(
            "  {:<11} {:>4}x{:<4} {:>8} bytes",
            v.name,
            v.width,
            v.height,
            v.bytes.len()
        );
        if let Some(dir) = out_dir {
            std::fs::create_dir_all(dir)?;
            let file = format!("{dir}/{}.{}", v.name, v.format.extension());
            std::fs::write(file, &v.bytes)?;
        }
    }
    Ok(())
}
