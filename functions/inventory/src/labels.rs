//! Labels: a QR code per item (SVG and PNG) and printable A4 label sheets (PDF) with the code,
//! the inventory number and the name under each. Names are set in DejaVu Sans (shipped by the
//! `dejavu` crate), so Cyrillic prints correctly; printpdf embeds only the glyphs the sheet uses
//! (its `font_subsetting` feature: a one-item sheet is a few KB, not the font's 740 KB). Numbers,
//! which are ASCII by construction, use the PDF's built-in Helvetica.

use std::io::Cursor;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use printpdf::path::PaintMode;
use printpdf::{
    BuiltinFont, Color, IndirectFontRef, Mm, PdfDocument, PdfLayerReference, Rect, Rgb,
};
use qrcode::QrCode;
use serde::Deserialize;
use shared::auth::AuthUser;
use shared::extract::{Json, Path};
use shared::permissions::Permission;
use shared::{ApiError, ApiResult};
use tracing::instrument;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::InventoryState;
use crate::items::{self, ItemView};

/// What a label's QR code says: the theatre, the item and its number, so a scan identifies the
/// item even without the network.
pub fn qr_payload(item: &ItemView, theater_id: Uuid) -> String {
    format!(
        "theatre-item:{theater_id}/{}/{}",
        item.id, item.inventory_number
    )
}

fn code_for(item: &ItemView, theater_id: Uuid) -> ApiResult<QrCode> {
    QrCode::new(qr_payload(item, theater_id).as_bytes())
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("QR encoding failed: {e}")))
}

/// The QR code as SVG.
pub fn qr_svg(item: &ItemView, theater_id: Uuid) -> ApiResult<String> {
    Ok(code_for(item, theater_id)?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build())
}

/// The QR code as PNG.
pub fn qr_png(item: &ItemView, theater_id: Uuid) -> ApiResult<Vec<u8>> {
    let image = code_for(item, theater_id)?
        .render::<image::Luma<u8>>()
        .min_dimensions(256, 256)
        .build();
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("PNG encoding failed: {e}")))?;
    Ok(out.into_inner())
}

async fn visible_item(state: &InventoryState, user: &AuthUser, id: Uuid) -> ApiResult<ItemView> {
    user.require(Permission::InventoryView)?;
    let client = state.ctx.db.get().await?;
    items::load(&client, user.theater_id, id)
        .await?
        .ok_or(ApiError::NotFound)
}

fn typed(content_type: &'static str, body: impl IntoResponse) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    (headers, body).into_response()
}

/// QR code of an item (SVG)
#[utoipa::path(get, path = "/api/v1/inventory/items/{id}/qr.svg", tag = "inventory", security(("bearer" = ["inventory:view"])),
    params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn qr_svg_handler(
    State(state): State<InventoryState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let item = visible_item(&state, &user, id).await?;
    Ok(typed("image/svg+xml", qr_svg(&item, user.theater_id)?))
}

/// QR code of an item (PNG)
#[utoipa::path(get, path = "/api/v1/inventory/items/{id}/qr.png", tag = "inventory", security(("bearer" = ["inventory:view"])),
    params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 403), (status = 404)))]
#[instrument(skip_all)]
pub async fn qr_png_handler(
    State(state): State<InventoryState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    let item = visible_item(&state, &user, id).await?;
    Ok(typed("image/png", qr_png(&item, user.theater_id)?))
}

/// Which items to print.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct LabelSheetRequest {
    /// Items in print order (at most 500).
    pub ids: Vec<Uuid>,
}

/// The grid of an A4 sheet: 4 × 6 labels of 52.5 × 49.5 mm.
const COLUMNS: usize = 4;
const ROWS: usize = 6;
const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const QR_MM: f32 = 30.0;

/// One label's text, ready to print.
struct Label {
    modules: Vec<bool>,
    width: usize,
    number: String,
    name: String,
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

fn draw_qr(layer: &PdfLayerReference, label: &Label, x0: f32, y_top: f32) {
    let module = QR_MM / label.width as f32;
    for row in 0..label.width {
        let mut col = 0;
        while col < label.width {
            if label.modules[row * label.width + col] {
                // One rectangle per horizontal run of dark modules.
                let start = col;
                while col < label.width && label.modules[row * label.width + col] {
                    col += 1;
                }
                let llx = x0 + start as f32 * module;
                let ury = y_top - row as f32 * module;
                layer.add_rect(
                    Rect::new(
                        Mm(llx),
                        Mm(ury - module),
                        Mm(x0 + col as f32 * module),
                        Mm(ury),
                    )
                    .with_mode(PaintMode::Fill),
                );
            } else {
                col += 1;
            }
        }
    }
}

/// Renders the sheet. Synchronous and CPU-bound: call it off the async runtime.
fn render_sheet(labels: &[Label]) -> anyhow::Result<Vec<u8>> {
    let (doc, first_page, first_layer) =
        PdfDocument::new("Inventory labels", Mm(PAGE_W), Mm(PAGE_H), "labels");
    let text_font: IndirectFontRef = doc
        .add_external_font(Cursor::new(dejavu::sans::regular()))
        .map_err(|e| anyhow::anyhow!("embedding the font: {e}"))?;
    let number_font = doc
        .add_builtin_font(BuiltinFont::HelveticaBold)
        .map_err(|e| anyhow::anyhow!("built-in font: {e}"))?;
    let cell_w = PAGE_W / COLUMNS as f32;
    let cell_h = PAGE_H / ROWS as f32;
    let per_page = COLUMNS * ROWS;
    for (page_no, chunk) in labels.chunks(per_page).enumerate() {
        let layer = if page_no == 0 {
            doc.get_page(first_page).get_layer(first_layer)
        } else {
            let (page, layer) = doc.add_page(Mm(PAGE_W), Mm(PAGE_H), "labels");
            doc.get_page(page).get_layer(layer)
        };
        layer.set_fill_color(Color::Rgb(Rgb::new(0.0, 0.0, 0.0, None)));
        for (i, label) in chunk.iter().enumerate() {
            let col = i % COLUMNS;
            let row = i / COLUMNS;
            let cell_x = col as f32 * cell_w;
            let cell_top = PAGE_H - row as f32 * cell_h;
            let qr_x = cell_x + (cell_w - QR_MM) / 2.0;
            let qr_top = cell_top - 5.0;
            draw_qr(&layer, label, qr_x, qr_top);
            let number_y = qr_top - QR_MM - 5.0;
            layer.use_text(
                label.number.as_str(),
                8.0,
                Mm(cell_x + 4.0),
                Mm(number_y),
                &number_font,
            );
            layer.use_text(
                truncate(&label.name, 32).as_str(),
                7.0,
                Mm(cell_x + 4.0),
                Mm(number_y - 4.0),
                &text_font,
            );
        }
    }
    doc.save_to_bytes()
        .map_err(|e| anyhow::anyhow!("writing the PDF: {e}"))
}

/// Printable label sheet (PDF)
#[utoipa::path(post, path = "/api/v1/inventory/items/labels", tag = "inventory", security(("bearer" = ["inventory:view"])),
    request_body = LabelSheetRequest,
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
              (status = 403), (status = 404, description = "an id is not an item of this theatre"),
              (status = 422)))]
#[instrument(skip_all)]
pub async fn label_sheet(
    State(state): State<InventoryState>,
    user: AuthUser,
    Json(body): Json<LabelSheetRequest>,
) -> ApiResult<Response> {
    user.require(Permission::InventoryView)?;
    if body.ids.is_empty() || body.ids.len() > 500 {
        return Err(ApiError::invalid("ids", "name between 1 and 500 items"));
    }
    let client = state.ctx.db.get().await?;
    let mut labels = Vec::with_capacity(body.ids.len());
    for id in &body.ids {
        let item = items::load(&client, user.theater_id, *id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let code = code_for(&item, user.theater_id)?;
        labels.push(Label {
            width: code.width(),
            modules: code
                .to_colors()
                .into_iter()
                .map(|c| c == qrcode::Color::Dark)
                .collect(),
            number: item.inventory_number,
            name: item.name,
        });
    }
    drop(client);
    let pdf = tokio::task::spawn_blocking(move || render_sheet(&labels))
        .await
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("label rendering stopped: {e}")))??;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline; filename=\"labels.pdf\""),
    );
    Ok((headers, pdf).into_response())
}
