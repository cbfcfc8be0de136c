//! The documents people download from the register (issue 21): a
//! registration certificate, an extract from the register, a decision, an
//! audit report. Each is a PDF/A-3b page (or pages) in the reader's
//! language: the register's emblem area and name, a title, the facts, the
//! sections of text, QR codes of the addresses that prove it (the public
//! page, the log entry), and, embedded as an associated file
//! (`senim-receipt.json`, uncompressed), the log's receipt of the entry
//! the document states: the entry, its inclusion proof and the signed
//! checkpoint. `senim verify --document FILE.pdf` reads the receipt back
//! and checks it offline.
//!
//! The text is set in DejaVu Sans (shipped in `fonts/`, its licence
//! beside it), which covers Kazakh, Russian and English. Nothing here reads
//! the database or the network: [`render`] turns a [`Document`] the
//! application core composed into bytes.

use std::sync::OnceLock;

use krilla::color::rgb;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::embed::{AssociationKind, EmbeddedFile, MimeType};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::{Document as Pdf, SerializeSettings};

/// The regular and bold faces.
const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// The name of the embedded receipt.
pub const RECEIPT_NAME: &str = "senim-receipt.json";

/// What a document says, composed by the application core in the
/// reader's language.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// `kk`, `ru` or `en`: the document's language.
    pub lang: String,
    /// The register's name, beside the emblem area.
    pub register: String,
    /// The authority, under it.
    pub authority: String,
    pub title: String,
    pub subtitle: String,
    /// (label, value) pairs.
    pub facts: Vec<(String, String)>,
    /// (heading, text) sections after the facts.
    pub sections: Vec<(String, String)>,
    /// Addresses with their QR codes: (caption, address).
    pub links: Vec<(String, String)>,
    /// Small print at the foot of the last page.
    pub footer: Vec<String>,
    /// The receipt (JSON) embedded, and its description.
    pub receipt: Option<(Vec<u8>, String)>,
    /// When it was made (UTC): year, month, day, hour, minute, second.
    pub created: (u16, u8, u8, u8, u8, u8),
    /// A stable identifier (the document's kind and subject).
    pub identifier: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("the bundled font does not load")]
    Font,
    #[error("the PDF could not be made: {0}")]
    Pdf(String),
}

fn fonts() -> Result<&'static (Font, Font, Metrics, Metrics), DocumentError> {
    static FONTS: OnceLock<Option<(Font, Font, Metrics, Metrics)>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let regular = Font::new(REGULAR.to_vec().into(), 0)?;
            let bold = Font::new(BOLD.to_vec().into(), 0)?;
            Some((regular, bold, Metrics::of(REGULAR)?, Metrics::of(BOLD)?))
        })
        .as_ref()
        .ok_or(DocumentError::Font)
}

/// Advance widths, to break lines.
struct Metrics {
    /// Per character, in ems; characters outside the table take `fallback`.
    widths: std::collections::HashMap<char, f32>,
    fallback: f32,
}

impl Metrics {
    fn of(data: &'static [u8]) -> Option<Metrics> {
        let face = ttf_parser::Face::parse(data, 0).ok()?;
        let per_em = f32::from(face.units_per_em());
        let mut widths = std::collections::HashMap::new();
        // Latin, Cyrillic (with Kazakh's letters) and punctuation.
        let ranges = [
            (0x20u32, 0x24f),
            (0x400, 0x4ff),
            (0x2000, 0x206f),
            (0x20a0, 0x20cf),
        ];
        for (from, to) in ranges {
            for code in from..=to {
                let Some(ch) = char::from_u32(code) else {
                    continue;
                };
                if let Some(advance) = face.glyph_index(ch).and_then(|g| face.glyph_hor_advance(g))
                {
                    widths.insert(ch, f32::from(advance) / per_em);
                }
            }
        }
        Some(Metrics {
            widths,
            fallback: 0.65,
        })
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.widths.get(&c).copied().unwrap_or(self.fallback))
            .sum::<f32>()
            * size
    }

    /// `text` broken into lines no wider than `max` at `size`; a word
    /// longer than a line is cut.
    fn lines(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        let mut out = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if self.width(&candidate, size) <= max {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    out.push(std::mem::take(&mut line));
                }
                // A word wider than the line (an address, a hash) is cut.
                let mut piece = String::new();
                for ch in word.chars() {
                    piece.push(ch);
                    if self.width(&piece, size) > max {
                        piece.pop();
                        out.push(std::mem::take(&mut piece));
                        piece.push(ch);
                    }
                }
                line = piece;
            }
            out.push(line);
        }
        out
    }
}

/// A4, in points.
const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const INK: (u8, u8, u8) = (11, 12, 12);
const GREY: (u8, u8, u8) = (80, 90, 95);
const TEAL: (u8, u8, u8) = (0, 112, 122);

fn fill(color: (u8, u8, u8)) -> Fill {
    Fill {
        paint: rgb::Color::new(color.0, color.1, color.2).into(),
        ..Default::default()
    }
}

/// Writes pages top to bottom, starting a new one when the text reaches
/// the foot.
struct Writer<'a> {
    pdf: &'a mut Pdf,
    regular: &'a Metrics,
    bold: &'a Metrics,
    pages: Vec<Vec<Op>>,
    y: f32,
}

/// How a run of text is set: its size, weight and colour.
#[derive(Clone, Copy)]
struct Style {
    size: f32,
    bold: bool,
    color: (u8, u8, u8),
}

const fn style(size: f32, bold: bool, color: (u8, u8, u8)) -> Style {
    Style { size, bold, color }
}

/// What a page holds, drawn when the page is made.
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        color: (u8, u8, u8),
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: (u8, u8, u8),
    },
    Emblem {
        x: f32,
        y: f32,
        size: f32,
    },
}

impl Writer<'_> {
    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Room for `height` more points, on a new page if need be.
    fn room(&mut self, height: f32) {
        if self.y + height > HEIGHT - MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    fn text(&mut self, x: f32, size: f32, bold: bool, color: (u8, u8, u8), text: &str) {
        self.room(size * 1.4);
        let y = self.y + size;
        self.ops().push(Op::Text {
            x,
            y,
            size,
            bold,
            color,
            text: text.to_string(),
        });
        self.y += size * 1.4;
    }

    fn wrapped(&mut self, x: f32, max: f32, style: Style, text: &str) {
        let metrics = if style.bold { self.bold } else { self.regular };
        for line in metrics.lines(text, style.size, max) {
            self.text(x, style.size, style.bold, style.color, &line);
        }
    }

    fn draw(self, regular: &Font, bold: &Font) {
        let pages = self.pages;
        for ops in pages {
            let Some(settings) = PageSettings::from_wh(WIDTH, HEIGHT) else {
                continue;
            };
            let mut page = self.pdf.start_page_with(settings);
            let mut surface = page.surface();
            for op in ops {
                draw_op(&mut surface, op, regular, bold);
            }
            surface.finish();
            page.finish();
        }
    }
}

fn draw_op(surface: &mut Surface, op: Op, regular: &Font, bold: &Font) {
    match op {
        Op::Text {
            x,
            y,
            size,
            bold: is_bold,
            color,
            text,
        } => {
            surface.set_fill(Some(fill(color)));
            let font = if is_bold { bold } else { regular };
            surface.draw_text(
                Point::from_xy(x, y),
                font.clone(),
                size,
                &text,
                false,
                TextDirection::Auto,
            );
        }
        Op::Rect { x, y, w, h, color } => {
            if let Some(rect) = Rect::from_xywh(x, y, w, h) {
                let mut pb = PathBuilder::new();
                pb.push_rect(rect);
                if let Some(path) = pb.finish() {
                    surface.set_fill(Some(fill(color)));
                    surface.draw_path(&path);
                }
            }
        }
        Op::Emblem { x, y, size } => {
            // The emblem's place: a ring; a deployment prints its emblem
            // over it or replaces the ring in its own build.
            let mut pb = PathBuilder::new();
            let (cx, cy, r) = (x + size / 2.0, y + size / 2.0, size / 2.0 - 1.0);
            // A circle from four cubic arcs.
            let k = 0.552_284_8 * r;
            pb.move_to(cx + r, cy);
            pb.cubic_to(cx + r, cy + k, cx + k, cy + r, cx, cy + r);
            pb.cubic_to(cx - k, cy + r, cx - r, cy + k, cx - r, cy);
            pb.cubic_to(cx - r, cy - k, cx - k, cy - r, cx, cy - r);
            pb.cubic_to(cx + k, cy - r, cx + r, cy - k, cx + r, cy);
            pb.close();
            if let Some(path) = pb.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    paint: rgb::Color::new(TEAL.0, TEAL.1, TEAL.2).into(),
                    width: 2.0,
                    ..Default::default()
                }));
                surface.draw_path(&path);
                surface.set_stroke(None);
            }
        }
    }
}

/// The dark modules of a QR code of `text`, and its width in modules.
fn qr_modules(text: &str) -> Option<(Vec<bool>, usize)> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).ok()?;
    let width = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    Some((dark, width))
}

/// The PDF/A-3b bytes of `doc`.
pub fn render(doc: &Document) -> Result<Vec<u8>, DocumentError> {
    let (regular, bold, rm, bm) = fonts()?;
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A3_B)
        .finish()
        .map_err(|e| DocumentError::Pdf(format!("{e:?}")))?;
    let settings = SerializeSettings {
        configuration,
        ..Default::default()
    };
    let mut pdf = Pdf::new_with(settings);
    let text_width = WIDTH - 2.0 * MARGIN;
    let mut w = Writer {
        pdf: &mut pdf,
        regular: rm,
        bold: bm,
        pages: Vec::new(),
        y: MARGIN,
    };

    // The head: the emblem's place, the register and the authority.
    let emblem = 58.0;
    w.ops().push(Op::Emblem {
        x: MARGIN,
        y: MARGIN,
        size: emblem,
    });
    let head_x = MARGIN + emblem + 14.0;
    let head_width = text_width - emblem - 14.0;
    w.y = MARGIN + 8.0;
    w.wrapped(head_x, head_width, style(11.0, true, INK), &doc.register);
    w.wrapped(head_x, head_width, style(9.0, false, GREY), &doc.authority);
    w.y = w.y.max(MARGIN + emblem) + 10.0;
    let rule_y = w.y;
    w.ops().push(Op::Rect {
        x: MARGIN,
        y: rule_y,
        w: text_width,
        h: 1.5,
        color: TEAL,
    });
    w.y += 22.0;

    w.wrapped(MARGIN, text_width, style(18.0, true, INK), &doc.title);
    if !doc.subtitle.is_empty() {
        w.wrapped(MARGIN, text_width, style(11.0, false, GREY), &doc.subtitle);
    }
    w.y += 12.0;

    // The facts: the label over its value.
    for (label, value) in &doc.facts {
        w.room(30.0);
        w.wrapped(MARGIN, text_width, style(8.5, true, GREY), label);
        w.wrapped(MARGIN, text_width, style(11.0, false, INK), value);
        w.y += 5.0;
    }

    for (heading, text) in &doc.sections {
        w.y += 6.0;
        w.room(40.0);
        w.wrapped(MARGIN, text_width, style(12.0, true, INK), heading);
        w.wrapped(MARGIN, text_width, style(10.5, false, INK), text);
    }

    // The QR codes side by side, each with its caption and address.
    if !doc.links.is_empty() {
        let size = 96.0;
        let gap = 24.0;
        let column = (text_width - gap * (doc.links.len() as f32 - 1.0)) / doc.links.len() as f32;
        w.y += 14.0;
        w.room(size + 60.0);
        let top = w.y;
        let mut bottom = top;
        for (i, (caption, url)) in doc.links.iter().enumerate() {
            let x = MARGIN + i as f32 * (column + gap);
            if let Some((dark, modules)) = qr_modules(url) {
                let cell = size / modules as f32;
                for (n, on) in dark.iter().enumerate() {
                    if *on {
                        w.ops().push(Op::Rect {
                            x: x + (n % modules) as f32 * cell,
                            y: top + (n / modules) as f32 * cell,
                            w: cell,
                            h: cell,
                            color: (0, 0, 0),
                        });
                    }
                }
            }
            w.y = top + size + 6.0;
            w.wrapped(x, column, style(8.5, true, INK), caption);
            w.wrapped(x, column, style(7.5, false, GREY), url);
            bottom = bottom.max(w.y);
        }
        w.y = bottom + 8.0;
    }

    for line in &doc.footer {
        w.wrapped(MARGIN, text_width, style(7.5, false, GREY), line);
    }
    w.draw(regular, bold);

    let (year, month, day, hour, minute, second) = doc.created;
    let created = DateTime::new(year)
        .month(month)
        .day(day)
        .hour(hour)
        .minute(minute)
        .second(second)
        .utc_offset_hour(0)
        .utc_offset_minute(0);
    pdf.set_metadata(
        Metadata::new()
            .title(doc.title.clone())
            .description(doc.subtitle.clone())
            .language(doc.lang.clone())
            .creator("Senim".to_string())
            .producer("Senim (krilla)".to_string())
            .authors(vec![doc.authority.clone()])
            .creation_date(created)
            .document_id(doc.identifier.clone()),
    );
    if let Some((receipt, description)) = &doc.receipt {
        let file = EmbeddedFile {
            path: RECEIPT_NAME.to_string(),
            mime_type: MimeType::new("application/json"),
            description: Some(description.clone()),
            association_kind: AssociationKind::Supplement,
            data: receipt.clone().into(),
            modification_date: Some(created),
            // Plain, so that the receipt can be read back without a PDF
            // library (`find_receipt`).
            compress: Some(false),
            location: None,
        };
        pdf.embed_file(file)
            .ok_or_else(|| DocumentError::Pdf("the receipt could not be embedded".into()))?;
    }
    pdf.finish()
        .map_err(|e| DocumentError::Pdf(format!("{e:?}")))
}

/// The receipt embedded in a document this crate made: the JSON object
/// that starts with `{"senim_receipt":`, read from the PDF's bytes (the
/// receipt is stored uncompressed).
pub fn find_receipt(pdf: &[u8]) -> Option<&[u8]> {
    let marker = b"{\"senim_receipt\":";
    let start = pdf.windows(marker.len()).position(|w| w == marker)?;
    // The object ends where its braces balance (strings may hold braces).
    let mut depth = 0i32;
    let mut in_string = false;
    let mut escaped = false;
    for (i, b) in pdf[start..].iter().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&pdf[start..=start + i]);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn a_document_in_kazakh_renders_with_its_receipt() {
        let doc = Document {
            lang: "kk".into(),
            register: "Қазақстан Республикасының жасанды интеллект жүйелерінің тізілімі".into(),
            authority: "Уәкілетті орган".into(),
            title: "Жасанды интеллект жүйесін тіркеу туралы куәлік".into(),
            subtitle: "KZ-AI-2026-000001".into(),
            facts: vec![("Жүйе".into(), "Шұғыл көмек ұйғарымы, әңгөқұүһі".into())],
            sections: vec![("Негіздеме".into(), "Сөз ".repeat(200))],
            links: vec![
                (
                    "Жария бет".into(),
                    "https://senim.example.kz/systems/1".into(),
                ),
                (
                    "Журнал жазбасы".into(),
                    "https://senim.example.kz/audit-log/entries/7".into(),
                ),
            ],
            footer: vec!["senim verify --document FILE.pdf".into()],
            receipt: Some((
                br#"{"senim_receipt":1,"entry":"{\"a\":\"}\"}"}"#.to_vec(),
                "The log's receipt".into(),
            )),
            created: (2026, 3, 2, 9, 0, 0),
            identifier: "certificate-1".into(),
        };
        let pdf = render(&doc).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let receipt = find_receipt(&pdf).unwrap();
        assert_eq!(receipt, br#"{"senim_receipt":1,"entry":"{\"a\":\"}\"}"}"#);
    }

    #[test]
    fn lines_break_at_words_and_cut_long_ones() {
        let (_, _, rm, _) = fonts().unwrap();
        let lines = rm.lines("один два три четыре", 10.0, 60.0);
        assert!(lines.len() > 1, "{lines:?}");
        assert!(lines.iter().all(|l| rm.width(l, 10.0) <= 60.0));
        let long = rm.lines(&"x".repeat(200), 10.0, 100.0);
        assert!(long.len() > 5);
    }
}
