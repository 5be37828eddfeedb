//! The image pipeline of posters and production photos: bytes of an uploaded original in, web
//! variants out. Pure and blocking (no I/O): the job runs it on a blocking thread, the
//! benchmark (`examples/poster_bench.rs`) runs exactly the same function.
//!
//! 1. Read the header only and refuse an image with more than [`ImageLimits::max_pixels`]
//!    before a single pixel is decoded (a decompression bomb: a few KB that unpack to GBs).
//! 2. Decode with `image`'s allocation limit as a second fence.
//! 3. Take the EXIF orientation, resize the stored pixels with `fast_image_resize` (the longest
//!    side does not change under rotation, so the big resize runs before the rotation and only
//!    the small results are turned), then turn each result upright.
//! 4. Encode every size as lossy WebP (libwebp) and JPEG. Encoding from raw pixels writes no
//!    metadata: EXIF (GPS, camera serials), XMP, IPTC and ICC profiles are all dropped.

use std::fmt;
use std::io::Cursor;

use fast_image_resize::images::Image as FirImage;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage, RgbaImage};

/// The sizes made of every image: name and longest side in pixels. Never upscaled.
pub const SIZES: [(&str, u32); 3] = [("thumb", 320), ("card", 800), ("full", 2048)];

/// Lossy WebP quality (libwebp's 0-100 scale).
pub const WEBP_QUALITY: f32 = 80.0;
/// JPEG quality (1-100).
pub const JPEG_QUALITY: u8 = 85;

/// What the pipeline accepts.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct ImageLimits {
    /// Largest original file, in bytes.
    pub max_bytes: u64,
    /// Largest image, in pixels (width × height), checked from the header before decoding.
    pub max_pixels: u64,
    /// Most memory the decoder may allocate (the decoded image counts).
    pub max_alloc: u64,
}

impl Default for ImageLimits {
    /// 50 MB files, 50 megapixels, 512 MiB for the decoder (50 MP of RGBA at 16 bits fits).
    fn default() -> Self {
        Self {
            max_bytes: 50 * 1024 * 1024,
            max_pixels: 50_000_000,
            max_alloc: 512 * 1024 * 1024,
        }
    }
}

/// An encoding of a variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VariantFormat {
    Webp,
    Jpeg,
}

impl VariantFormat {
    /// The value of `format` in the variants JSON, and the file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            VariantFormat::Webp => "webp",
            VariantFormat::Jpeg => "jpeg",
        }
    }

    /// The file extension of the stored object.
    pub fn extension(self) -> &'static str {
        match self {
            VariantFormat::Webp => "webp",
            VariantFormat::Jpeg => "jpg",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            VariantFormat::Webp => "image/webp",
            VariantFormat::Jpeg => "image/jpeg",
        }
    }
}

/// One encoded variant.
#[derive(Clone)]
pub struct Variant {
    /// `thumb_webp`, `card_jpeg`, ...
    pub name: String,
    pub format: VariantFormat,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Variant")
            .field("name", &self.name)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// What the pipeline made of an original.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// The original's size upright (after its EXIF orientation).
    pub width: u32,
    pub height: u32,
    /// Every size in every format, smallest first.
    pub variants: Vec<Variant>,
}

/// Why an image was refused: permanent (the same bytes fail the same way), and worded for the
/// person who uploaded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// Not a JPEG, PNG or WebP.
    NotAnImage,
    TooLarge {
        bytes: u64,
        max_bytes: u64,
    },
    TooManyPixels {
        width: u32,
        height: u32,
        max_pixels: u64,
    },
    /// The decoder needed more memory than allowed.
    OverMemoryLimit,
    /// Damaged or unsupported image data.
    Undecodable(String),
    /// The pixels could not be encoded (e.g. an image too large for WebP).
    Unencodable(String),
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::NotAnImage => write!(f, "the file is not a JPEG, PNG or WebP image"),
            Rejection::TooLarge { bytes, max_bytes } => write!(
                f,
                "the file has {bytes} bytes; images of at most {} MB are accepted",
                max_bytes / (1024 * 1024)
            ),
            Rejection::TooManyPixels {
                width,
                height,
                max_pixels,
            } => write!(
                f,
                "the image is {width}×{height} pixels ({} megapixels); at most {} megapixels are accepted",
                (*width as u64 * *height as u64) / 1_000_000,
                max_pixels / 1_000_000
            ),
            Rejection::OverMemoryLimit => write!(
                f,
                "the image needs more memory to decode than is allowed; upload a smaller image"
            ),
            Rejection::Undecodable(why) => {
                write!(f, "the image data is damaged or unsupported: {why}")
            }
            Rejection::Unencodable(why) => write!(f, "the image could not be converted: {why}"),
        }
    }
}

impl std::error::Error for Rejection {}

/// The pipeline: decodes `bytes` (JPEG, PNG or WebP) within `limits`, turns it upright and
/// encodes [`SIZES`] as WebP and JPEG. Blocking and CPU-bound.
pub fn render(bytes: &[u8], limits: &ImageLimits) -> Result<Rendered, Rejection> {
    let (image, orientation) = decode(bytes, limits)?;
    let (stored_w, stored_h) = (image.width(), image.height());
    let (width, height) = upright_size(stored_w, stored_h, orientation);
    let pixels = Pixels::from_image(image);

    // Each size is resized from the next larger one (2048 from the original, 800 from 2048,
    // ...): the Lanczos kernel widens with the scale factor, so quality holds and the big
    // source is read once.
    let mut resized: Vec<(&str, Pixels)> = Vec::with_capacity(SIZES.len());
    for (name, longest) in SIZES.iter().rev() {
        let (tw, th) = fit(stored_w, stored_h, *longest);
        let source = resized.last().map(|(_, p)| p).unwrap_or(&pixels);
        let out = if (tw, th) == (source.width, source.height) {
            source.clone()
        } else {
            source.resize(tw, th)?
        };
        resized.push((name, out));
    }
    drop(pixels);
    resized.reverse();

    let upright: Vec<(&str, DynamicImage)> = resized
        .into_iter()
        .map(|(name, p)| {
            let mut img = p.into_dynamic();
            img.apply_orientation(orientation);
            (name, img)
        })
        .collect();

    // Six encodes of independent images: run them side by side (the full-size WebP and JPEG
    // dominate).
    let jobs: Vec<(&str, &DynamicImage, VariantFormat)> = upright
        .iter()
        .flat_map(|(name, img)| {
            [VariantFormat::Webp, VariantFormat::Jpeg].map(|format| (*name, img, format))
        })
        .collect();
    let variants = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|(name, img, format)| scope.spawn(move || encode(name, img, *format)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Rejection::Unencodable("the encoder panicked".into())))
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    Ok(Rendered {
        width,
        height,
        variants,
    })
}

/// Decodes within the limits; returns the stored pixels and the EXIF orientation.
fn decode(bytes: &[u8], limits: &ImageLimits) -> Result<(DynamicImage, Orientation), Rejection> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(Rejection::TooLarge {
            bytes: bytes.len() as u64,
            max_bytes: limits.max_bytes,
        });
    }
    let format = match shared::uploads::sniff_image(bytes) {
        Some("image/jpeg") => ImageFormat::Jpeg,
        Some("image/png") => ImageFormat::Png,
        Some("image/webp") => ImageFormat::WebP,
        _ => return Err(Rejection::NotAnImage),
    };
    // The header alone, without limits (no pixel is allocated): a nice message for a bomb.
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(rejection)?;
    if width as u64 * height as u64 > limits.max_pixels {
        return Err(Rejection::TooManyPixels {
            width,
            height,
            max_pixels: limits.max_pixels,
        });
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_alloc = Some(limits.max_alloc);
    reader.limits(decoder_limits);
    let mut decoder = reader.into_decoder().map_err(rejection)?;
    // `from_decoder` does not count the output buffer against the limit: do it here.
    if decoder.total_bytes() > limits.max_alloc {
        return Err(Rejection::OverMemoryLimit);
    }
    // A damaged EXIF block is no reason to refuse the picture: it is shown as stored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(rejection)?;
    Ok((image, orientation))
}

fn rejection(e: image::ImageError) -> Rejection {
    match e {
        image::ImageError::Limits(_) => Rejection::OverMemoryLimit,
        image::ImageError::Unsupported(u) => Rejection::Undecodable(u.to_string()),
        image::ImageError::Decoding(d) => Rejection::Undecodable(d.to_string()),
        image::ImageError::IoError(io) => Rejection::Undecodable(io.to_string()),
        other => Rejection::Undecodable(other.to_string()),
    }
}

/// The size of a `width` × `height` image once `orientation` is applied.
pub fn upright_size(width: u32, height: u32, orientation: Orientation) -> (u32, u32) {
    match orientation {
        Orientation::Rotate90
        | Orientation::Rotate270
        | Orientation::Rotate90FlipH
        | Orientation::Rotate270FlipH => (height, width),
        _ => (width, height),
    }
}

/// `width` × `height` scaled so that the longest side is at most `longest` (never upscaled),
/// each side at least 1.
pub fn fit(width: u32, height: u32, longest: u32) -> (u32, u32) {
    let max = width.max(height);
    if max <= longest {
        return (width, height);
    }
    let scale = longest as f64 / max as f64;
    let side = |s: u32| ((s as f64 * scale).round() as u32).clamp(1, longest);
    (side(width), side(height))
}

/// 8-bit pixels, RGB or (when any pixel is transparent) RGBA.
#[derive(Clone)]
struct Pixels {
    width: u32,
    height: u32,
    alpha: bool,
    data: Vec<u8>,
}

impl Pixels {
    fn from_image(image: DynamicImage) -> Self {
        let (width, height) = (image.width(), image.height());
        if image.color().has_alpha() {
            let rgba = image.into_rgba8();
            if rgba.pixels().any(|p| p.0[3] != u8::MAX) {
                return Self {
                    width,
                    height,
                    alpha: true,
                    data: rgba.into_raw(),
                };
            }
            let rgb = DynamicImage::ImageRgba8(rgba).into_rgb8();
            return Self {
                width,
                height,
                alpha: false,
                data: rgb.into_raw(),
            };
        }
        Self {
            width,
            height,
            alpha: false,
            data: image.into_rgb8().into_raw(),
        }
    }

    fn pixel_type(&self) -> PixelType {
        if self.alpha {
            PixelType::U8x4
        } else {
            PixelType::U8x3
        }
    }

    fn resize(&self, width: u32, height: u32) -> Result<Pixels, Rejection> {
        let internal = |e: &dyn fmt::Display| Rejection::Unencodable(format!("resizing: {e}"));
        let src = fast_image_resize::images::ImageRef::new(
            self.width,
            self.height,
            &self.data,
            self.pixel_type(),
        )
        .map_err(|e| internal(&e))?;
        let mut dst = FirImage::new(width, height, self.pixel_type());
        let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
        Resizer::new()
            .resize(&src, &mut dst, &options)
            .map_err(|e| internal(&e))?;
        Ok(Pixels {
            width,
            height,
            alpha: self.alpha,
            data: dst.into_vec(),
        })
    }

    fn into_dynamic(self) -> DynamicImage {
        if self.alpha {
            RgbaImage::from_raw(self.width, self.height, self.data)
                .map(DynamicImage::ImageRgba8)
                .expect("buffer sized by width × height × 4")
        } else {
            RgbImage::from_raw(self.width, self.height, self.data)
                .map(DynamicImage::ImageRgb8)
                .expect("buffer sized by width × height × 3")
        }
    }
}

/// Encodes one size in one format.
fn encode(size: &str, image: &DynamicImage, format: VariantFormat) -> Result<Variant, Rejection> {
    let (width, height) = (image.width(), image.height());
    let bytes = match format {
        VariantFormat::Webp => {
            let encoder = match image {
                DynamicImage::ImageRgba8(rgba) => webp::Encoder::from_rgba(rgba, width, height),
                other => webp::Encoder::from_rgb(
                    other
                        .as_rgb8()
                        .ok_or_else(|| Rejection::Unencodable("unexpected pixel layout".into()))?,
                    width,
                    height,
                ),
            };
            encoder
                .encode_simple(false, WEBP_QUALITY)
                .map_err(|e| Rejection::Unencodable(format!("WebP: {e:?}")))?
                .to_vec()
        }
        VariantFormat::Jpeg => {
            // JPEG has no transparency: flatten onto white, as a browser shows it.
            let rgb = match image {
                DynamicImage::ImageRgba8(rgba) => flatten_on_white(rgba),
                other => other.to_rgb8(),
            };
            let mut out = Vec::new();
            JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
                .encode_image(&rgb)
                .map_err(|e| Rejection::Unencodable(format!("JPEG: {e}")))?;
            out
        }
    };
    Ok(Variant {
        name: format!("{size}_{}", format.as_str()),
        format,
        width,
        height,
        bytes,
    })
}

fn flatten_on_white(rgba: &RgbaImage) -> RgbImage {
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over = |c: u8| ((c as u32 * a as u32 + 255 * (255 - a as u32) + 127) / 255) as u8;
        image::Rgb([over(r), over(g), over(b)])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_fit_the_longest_side_and_never_grow() {
        assert_eq!(fit(6000, 4000, 2048), (2048, 1365));
        assert_eq!(fit(4000, 6000, 800), (533, 800));
        assert_eq!(fit(640, 480, 2048), (640, 480));
        assert_eq!(fit(100_000, 10, 320), (320, 1));
        assert_eq!(fit(2048, 2048, 2048), (2048, 2048));
    }

    #[test]
    fn quarter_turns_swap_the_sides() {
        assert_eq!(upright_size(4, 3, Orientation::Rotate90), (3, 4));
        assert_eq!(upright_size(4, 3, Orientation::Rotate270FlipH), (3, 4));
        assert_eq!(upright_size(4, 3, Orientation::Rotate180), (4, 3));
        assert_eq!(upright_size(4, 3, Orientation::FlipHorizontal), (4, 3));
    }

    fn png(image: DynamicImage) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn every_size_is_made_in_both_formats() {
        let img = RgbImage::from_fn(1000, 500, |x, y| image::Rgb([x as u8, y as u8, 90]));
        let rendered = render(&png(DynamicImage::ImageRgb8(img)), &ImageLimits::default()).unwrap();
        assert_eq!((rendered.width, rendered.height), (1000, 500));
        let got: Vec<(String, u32, u32)> = rendered
            .variants
            .iter()
            .map(|v| (v.name.clone(), v.width, v.height))
            .collect();
        assert_eq!(
            got,
            [
                ("thumb_webp", 320, 160),
                ("thumb_jpeg", 320, 160),
                ("card_webp", 800, 400),
                ("card_jpeg", 800, 400),
                ("full_webp", 1000, 500),
                ("full_jpeg", 1000, 500),
            ]
            .map(|(n, w, h)| (n.to_string(), w, h))
        );
        for v in &rendered.variants {
            let decoded = image::load_from_memory(&v.bytes).unwrap();
            assert_eq!((decoded.width(), decoded.height()), (v.width, v.height));
            match v.format {
                VariantFormat::Webp => assert_eq!(&v.bytes[12..16], b"VP8 ", "lossy WebP"),
                VariantFormat::Jpeg => assert_eq!(&v.bytes[..2], &[0xff, 0xd8]),
            }
        }
    }

    #[test]
    fn transparency_stays_in_webp_and_becomes_white_in_jpeg() {
        let img = RgbaImage::from_fn(40, 40, |x, _| {
            image::Rgba([0, 0, 0, if x < 20 { 0 } else { 255 }])
        });
        let rendered =
            render(&png(DynamicImage::ImageRgba8(img)), &ImageLimits::default()).unwrap();
        let thumb = |name: &str| {
            let v = rendered.variants.iter().find(|v| v.name == name).unwrap();
            image::load_from_memory(&v.bytes).unwrap()
        };
        let webp = thumb("thumb_webp");
        assert!(webp.color().has_alpha());
        assert!(webp.to_rgba8().get_pixel(5, 20).0[3] < 10);
        let jpeg = thumb("thumb_jpeg").to_rgb8();
        assert!(jpeg.get_pixel(5, 20).0.iter().all(|c| *c > 240), "white");
        assert!(jpeg.get_pixel(35, 20).0.iter().all(|c| *c < 15), "black");
    }

    #[test]
    fn refusals_are_readable() {
        let limits = ImageLimits {
            max_pixels: 1_000_000,
            ..ImageLimits::default()
        };
        let big = png(DynamicImage::ImageLuma8(image::GrayImage::new(2000, 1000)));
        let refused = render(&big, &limits).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "the image is 2000×1000 pixels (2 megapixels); at most 1 megapixels are accepted"
        );
        assert_eq!(
            render(b"%PDF-1.7", &limits).unwrap_err(),
            Rejection::NotAnImage
        );
        let mut cut = png(DynamicImage::ImageLuma8(image::GrayImage::new(50, 50)));
        cut.truncate(cut.len() / 2);
        assert!(matches!(
            render(&cut, &limits),
            Err(Rejection::Undecodable(_))
        ));
        let tiny = ImageLimits {
            max_bytes: 10,
            ..limits
        };
        assert!(matches!(
            render(&big, &tiny),
            Err(Rejection::TooLarge { .. })
        ));
    }

    #[test]
    fn the_decoder_memory_limit_is_a_second_fence() {
        let img = png(DynamicImage::ImageRgb8(RgbImage::new(1000, 1000)));
        let limits = ImageLimits {
            max_alloc: 1024 * 1024,
            ..ImageLimits::default()
        };
        assert_eq!(
            render(&img, &limits).unwrap_err(),
            Rejection::OverMemoryLimit
        );
    }
}
