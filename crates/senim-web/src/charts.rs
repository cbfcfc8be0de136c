//! Charts for the public statistics page, drawn on the server as inline SVG.
//!
//! Each function returns one `<svg>` element as a string, ready to be put
//! into a page unescaped (in askama: `{{ chart|safe }}`). The charts need no
//! JavaScript and no stylesheet: the pages' Content-Security-Policy allows
//! no inline style, so every colour, font and size is a presentation
//! attribute (`fill`, `stroke`, `font-size`, `text-anchor`, ...), and there
//! is no `style` attribute, no `<style>` element, no script and no link to
//! anything outside the element.
//!
//! Every chart is an image with a name and a description for screen readers
//! (`role="img"`, `aria-labelledby` pointing at its `<title>` and `<desc>`).
//! The page shows the same numbers in a table, so a chart carries only the
//! labels and one number per bar or column. Labels longer than
//! [`LABEL_MAX_CHARS`] characters are cut with an ellipsis; the full label
//! is kept in a `<title>` of the bar's group, which browsers show on hover.
//!
//! The charts are responsive: the `viewBox` is [`WIDTH`] units wide, its
//! height follows from the number of rows, and the element is `width="100%"`
//! so it scales with the page. All text that comes from the caller
//! (labels, title, description, segment names, colours, the `id`) is
//! XML-escaped. The output is deterministic: the same input gives the same
//! bytes.

use std::borrow::Cow;
use std::fmt::{self, Write};

/// The width of every chart's `viewBox`, in user units.
pub const WIDTH: u64 = 640;

/// Labels with more characters than this are cut and end with `…`.
pub const LABEL_MAX_CHARS: usize = 24;

/// The fill of plain bars and columns: a dark teal, 5.4:1 on white.
const BAR_FILL: &str = "#00758A";
/// The colour of all text.
const TEXT_FILL: &str = "#0b0c0c";
/// The colour of axes.
const AXIS_STROKE: &str = "#505a5f";
/// The font of all text.
const FONT_FAMILY: &str = "system-ui, sans-serif";

/// The margin around the plot, in px.
const PAD: u64 = 8;

/// Horizontal charts: the height of one row, in px.
const ROW_H: u64 = 28;
/// Horizontal charts: the thickness of a bar, in px.
const BAR_H: u64 = 18;
/// Horizontal charts: the width of the label column left of the bars, in px.
const LABEL_W: u64 = 200;
/// Horizontal charts: the gap between a label or a bar's end and its text.
const TEXT_GAP: u64 = 6;
/// Horizontal charts: the font size of labels and numbers.
const ROW_FONT: u64 = 13;
/// Horizontal charts: the width of one digit at [`ROW_FONT`], in tenths of px.
const ROW_DIGIT_W10: u64 = 78;
/// Horizontal charts: from a row's top to the baseline of its text, in tenths
/// of px (the row's middle plus about a third of the font size).
const ROW_BASELINE10: u64 = ROW_H * 5 + 46;

/// Stacked charts: the height of one line of the legend, in px.
const LEGEND_LINE_H: u64 = 22;
/// Stacked charts: the side of a legend swatch, in px.
const SWATCH: u64 = 12;
/// Stacked charts: the width of one character of a legend name, in px.
const LEGEND_CHAR_W: u64 = 8;
/// Stacked charts: the space between two legend entries, in px.
const LEGEND_GAP: u64 = 18;

/// Column charts: the height of the plot, in px.
const PLOT_H: u64 = 180;
/// Column charts: the font size of labels under the columns.
const COL_LABEL_FONT: u64 = 12;
/// Column charts: the width of one label character, in tenths of px.
const COL_CHAR_W10: u64 = 70;
/// Column charts: the narrowest column slot, in tenths of px, whose label
/// may be slanted at 45° without touching its neighbours; narrower ones
/// are turned upright.
const COL_SLANT_MIN10: u64 = 190;
/// Column charts: the font size of the numbers on the columns.
const COL_NUM_FONT: u64 = 11;
/// Column charts: the width of one digit at [`COL_NUM_FONT`], in tenths of px.
const COL_DIGIT_W10: u64 = 66;

/// The height of a chart without data, in px.
const EMPTY_H: u64 = 64;

/// One bar (or column): a label and a count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    /// What the bar counts, e.g. a sector's name; any text.
    pub label: String,
    /// The count.
    pub value: u64,
}

/// One part of a stacked bar, as the legend names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The part's name, e.g. a risk level; any text.
    pub name: String,
    /// The part's fill, e.g. `"#00758A"`; a CSS colour the caller chooses.
    pub colour: &'static str,
}

/// One stacked bar: a label and one count per [`Segment`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackedBar {
    /// What the bar counts, e.g. a sector's name; any text.
    pub label: String,
    /// One count per segment, in the order of the segments. Missing counts
    /// are zero; counts beyond the last segment are ignored.
    pub values: Vec<u64>,
}

/// A horizontal bar chart, e.g. "AI systems by sector": one row per bar, in
/// the order given, with the label on the left, the bar, and its number at
/// the bar's end. The longest bar spans the whole plot.
///
/// `id` must be unique on the page and contain no whitespace; the chart's
/// `<title>` and `<desc>` get the ids `{id}-title` and `{id}-desc`. `title`
/// and `description` are what screen readers announce. `empty` is shown
/// instead of bars when `bars` is empty (e.g. "No data", translated).
pub fn bar_chart(id: &str, title: &str, description: &str, empty: &str, bars: &[Bar]) -> String {
    let rows: Vec<Row<'_>> = bars
        .iter()
        .map(|bar| Row {
            label: &bar.label,
            parts: vec![Part {
                value: bar.value,
                colour: BAR_FILL,
                name: None,
            }],
        })
        .collect();
    horizontal(id, title, description, empty, &[], &rows)
}

/// A stacked horizontal bar chart, e.g. AI systems by sector, each bar split
/// by risk level: a legend (swatch and name per segment) above the bars, one
/// row per bar with the label on the left, the bar's parts from left to
/// right in the order of `segments`, and the bar's total at its end. The
/// longest total spans the whole plot; parts that count zero are not drawn.
///
/// `id`, `title`, `description` and `empty` are as for [`bar_chart`].
pub fn stacked_bar_chart(
    id: &str,
    title: &str,
    description: &str,
    empty: &str,
    segments: &[Segment],
    bars: &[StackedBar],
) -> String {
    let rows: Vec<Row<'_>> = bars
        .iter()
        .map(|bar| Row {
            label: &bar.label,
            parts: segments
                .iter()
                .enumerate()
                .map(|(i, segment)| Part {
                    value: bar.values.get(i).copied().unwrap_or(0),
                    colour: segment.colour,
                    name: Some(&segment.name),
                })
                .collect(),
        })
        .collect();
    horizontal(id, title, description, empty, segments, &rows)
}

/// A vertical column chart over time, e.g. incidents per month: one column
/// per entry, left to right in the order given, with its number above it and
/// its label under it. The tallest column spans the whole plot height.
/// When the labels are too wide for their columns they are slanted 45° (or
/// turned upright when the columns are very narrow), and when the numbers
/// are, they are turned upright.
///
/// `id`, `title`, `description` and `empty` are as for [`bar_chart`].
pub fn column_chart(
    id: &str,
    title: &str,
    description: &str,
    empty: &str,
    columns: &[Bar],
) -> String {
    if columns.is_empty() {
        return empty_chart(id, title, description, empty);
    }
    let n = columns.len() as u64;
    let max = columns
        .iter()
        .map(|c| u128::from(c.value))
        .max()
        .unwrap_or(0);

    // The labels: level under the columns when they fit, else turned 45°.
    let label_chars = columns
        .iter()
        .map(|c| truncate(&c.label).chars().count() as u64)
        .max()
        .unwrap_or(0);
    let label_w10 = label_chars * COL_CHAR_W10;
    let full_slot10 = (WIDTH - 2 * PAD) * 10 / n;
    let labels = if label_w10 + 40 <= full_slot10 {
        Turn::Level
    } else if full_slot10 >= COL_SLANT_MIN10 {
        Turn::Slant
    } else {
        Turn::Upright
    };
    // A slanted label reaches this far left of, and below, its anchor
    // (cos 45°); an upright one reaches its whole length down.
    let label_reach = (label_w10 * 71).div_ceil(1000);
    let (left, label_h) = match labels {
        Turn::Level => (PAD, 22),
        Turn::Slant => (PAD.max(label_reach), label_reach + 18),
        Turn::Upright => (PAD, label_w10.div_ceil(10) + 14),
    };
    let plot_w10 = (WIDTH - PAD - left) * 10;
    let slot10 = plot_w10 / n;

    // The numbers: level above the columns when they fit, else upright.
    let digits = digit_count(max);
    let numbers_turned = digits * COL_DIGIT_W10 + 20 > slot10;
    let top = if numbers_turned {
        (digits * COL_DIGIT_W10).div_ceil(10) + 8
    } else {
        COL_NUM_FONT + 8
    };
    let base = top + PLOT_H;
    let height = base + label_h + PAD;

    let mut out = String::new();
    open_svg(&mut out, id, title, description, height);
    for (i, column) in (0u64..).zip(columns) {
        let x0 = left * 10 + i * plot_w10 / n;
        let x1 = left * 10 + (i + 1) * plot_w10 / n;
        let slot = x1 - x0;
        let cx = x0 + slot / 2;
        let value = u128::from(column.value);
        let h = scale(value, max, PLOT_H * 10);
        let y = base * 10 - h;
        let _ = write!(
            out,
            "<g><title>{}: {}</title>",
            Esc(&column.label),
            column.value
        );
        if h > 0 {
            let _ = write!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{BAR_FILL}\"/>",
                Px(x0 + slot * 15 / 100),
                Px(y),
                Px(slot - 2 * (slot * 15 / 100)),
                Px(h)
            );
        }
        if numbers_turned {
            let (tx, ty) = (Px(cx + 40), Px(y - 40));
            let _ = write!(
                out,
                "<text x=\"{tx}\" y=\"{ty}\" font-size=\"{COL_NUM_FONT}\" transform=\"rotate(-90 {tx} {ty})\">{}</text>",
                column.value
            );
        } else {
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\" font-size=\"{COL_NUM_FONT}\" text-anchor=\"middle\">{}</text>",
                Px(cx),
                Px(y - 40),
                column.value
            );
        }
        let short = truncate(&column.label);
        let label = Esc(&short);
        match labels {
            Turn::Level => {
                let _ = write!(
                    out,
                    "<text x=\"{}\" y=\"{}\" font-size=\"{COL_LABEL_FONT}\" text-anchor=\"middle\">{label}</text>",
                    Px(cx),
                    Px(base * 10 + 160)
                );
            }
            Turn::Slant | Turn::Upright => {
                let (angle, dy) = match labels {
                    Turn::Slant => (45, 120),
                    _ => (90, 60),
                };
                let (tx, ty) = (Px(cx + 40), Px(base * 10 + dy));
                let _ = write!(
                    out,
                    "<text x=\"{tx}\" y=\"{ty}\" font-size=\"{COL_LABEL_FONT}\" text-anchor=\"end\" transform=\"rotate(-{angle} {tx} {ty})\">{label}</text>"
                );
            }
        }
        out.push_str("</g>");
    }
    let _ = write!(
        out,
        "<line x1=\"{left}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"{AXIS_STROKE}\" stroke-width=\"1\"/>",
        WIDTH - PAD
    );
    out.push_str("</svg>");
    out
}

/// How the labels under a column chart are turned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Turn {
    /// Level, centred under the column.
    Level,
    /// Slanted 45°, ending under the column.
    Slant,
    /// Upright, reading upwards, ending under the column.
    Upright,
}

/// One row of a horizontal chart: a label and its bar's parts.
struct Row<'a> {
    label: &'a str,
    parts: Vec<Part<'a>>,
}

/// One part of a horizontal bar.
struct Part<'a> {
    value: u64,
    colour: &'a str,
    /// The segment's name, for the part's hover title; `None` for plain bars.
    name: Option<&'a str>,
}

impl Row<'_> {
    fn total(&self) -> u128 {
        self.parts.iter().fold(0u128, |sum, part| {
            sum.saturating_add(u128::from(part.value))
        })
    }
}

/// The width of the plot of a horizontal chart whose longest bar is `max`,
/// in px: what is left of [`WIDTH`] after the labels and room for the number.
fn plot_width(max: u128) -> u64 {
    let number_w = (digit_count(max) * ROW_DIGIT_W10).div_ceil(10) + TEXT_GAP + PAD;
    WIDTH.saturating_sub(LABEL_W + number_w).max(40)
}

/// Draws a horizontal chart: the legend of `segments` if any, then the rows.
fn horizontal(
    id: &str,
    title: &str,
    description: &str,
    empty: &str,
    segments: &[Segment],
    rows: &[Row<'_>],
) -> String {
    if rows.is_empty() {
        return empty_chart(id, title, description, empty);
    }
    let max = rows.iter().map(Row::total).max().unwrap_or(0);
    let plot_w = plot_width(max);
    let plot_x = LABEL_W;

    let mut legend = String::new();
    let legend_h = draw_legend(&mut legend, segments);
    let top = PAD + legend_h;
    let rows_h = rows.len() as u64 * ROW_H;
    let height = top + rows_h + PAD;

    let mut out = String::new();
    open_svg(&mut out, id, title, description, height);
    out.push_str(&legend);
    let _ = write!(out, "<g font-size=\"{ROW_FONT}\">");
    for (i, row) in (0u64..).zip(rows) {
        let y = top + i * ROW_H;
        let total = row.total();
        let _ = write!(out, "<g><title>{}: {total}</title>", Esc(row.label));
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            plot_x - TEXT_GAP,
            Px(y * 10 + ROW_BASELINE10),
            Esc(&truncate(row.label))
        );
        let mut sum = 0u128;
        for part in &row.parts {
            let start = scale(sum, max, plot_w * 10);
            sum = sum.saturating_add(u128::from(part.value));
            let end = scale(sum, max, plot_w * 10);
            if part.value == 0 || end == start {
                continue;
            }
            let _ = write!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{BAR_H}\" fill=\"{}\">",
                Px(plot_x * 10 + start),
                y + (ROW_H - BAR_H) / 2,
                Px(end - start),
                Esc(part.colour)
            );
            if let Some(name) = part.name {
                let _ = write!(out, "<title>{}: {}</title>", Esc(name), part.value);
            }
            out.push_str("</rect>");
        }
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\">{total}</text></g>",
            Px(plot_x * 10 + scale(total, max, plot_w * 10) + TEXT_GAP * 10),
            Px(y * 10 + ROW_BASELINE10)
        );
    }
    out.push_str("</g>");
    let _ = write!(
        out,
        "<line x1=\"{plot_x}\" y1=\"{top}\" x2=\"{plot_x}\" y2=\"{}\" stroke=\"{AXIS_STROKE}\" stroke-width=\"1\"/>",
        top + rows_h
    );
    out.push_str("</svg>");
    out
}

/// Draws the legend of a stacked chart into `out`, entries left to right
/// and wrapping onto more lines when they do not fit; returns its height.
fn draw_legend(out: &mut String, segments: &[Segment]) -> u64 {
    if segments.is_empty() {
        return 0;
    }
    let mut x = PAD;
    let mut line = 0u64;
    let _ = write!(out, "<g font-size=\"{ROW_FONT}\">");
    for segment in segments {
        let name = truncate(&segment.name);
        let w = SWATCH + TEXT_GAP + name.chars().count() as u64 * LEGEND_CHAR_W;
        if x > PAD && x + w > WIDTH - PAD {
            x = PAD;
            line += 1;
        }
        let y = PAD + line * LEGEND_LINE_H;
        let _ = write!(
            out,
            "<g><title>{}</title><rect x=\"{x}\" y=\"{}\" width=\"{SWATCH}\" height=\"{SWATCH}\" fill=\"{}\" stroke=\"{AXIS_STROKE}\" stroke-width=\"0.5\"/><text x=\"{}\" y=\"{}\">{}</text></g>",
            Esc(&segment.name),
            y + (LEGEND_LINE_H - SWATCH) / 2,
            Esc(segment.colour),
            x + SWATCH + TEXT_GAP,
            Px(y * 10 + LEGEND_LINE_H * 5 + 46),
            Esc(&name)
        );
        x += w + LEGEND_GAP;
    }
    out.push_str("</g>");
    (line + 1) * LEGEND_LINE_H + PAD
}

/// A chart without data: the frame, an axis and the text `empty`.
fn empty_chart(id: &str, title: &str, description: &str, empty: &str) -> String {
    let mut out = String::new();
    open_svg(&mut out, id, title, description, EMPTY_H);
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" font-size=\"{ROW_FONT}\" text-anchor=\"middle\">{}</text>",
        WIDTH / 2,
        EMPTY_H / 2,
        Esc(empty)
    );
    let _ = write!(
        out,
        "<line x1=\"{PAD}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{AXIS_STROKE}\" stroke-width=\"1\"/></svg>",
        WIDTH - PAD,
        y = EMPTY_H - PAD
    );
    out
}

/// Opens the `<svg>` element of a chart `height` px high, with its title and
/// description.
fn open_svg(out: &mut String, id: &str, title: &str, description: &str, height: u64) {
    let id = Esc(id);
    let _ = write!(
        out,
        "<svg role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" font-family=\"{FONT_FAMILY}\" fill=\"{TEXT_FILL}\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        Esc(title),
        Esc(description)
    );
}

/// `value` of `max` as a length of `span` (all in tenths of px), rounded to
/// the nearest tenth; `max` itself is `span`, and anything is 0 when `max`
/// is 0. Lengths of running sums telescope: the parts of a stacked bar,
/// measured as differences, add up to exactly the length of its total.
fn scale(value: u128, max: u128, span: u64) -> u64 {
    if max == 0 {
        return 0;
    }
    let (mut value, mut max) = (value.min(max), max);
    // Keep `value * span * 2` within u128 (span is far below 2^16).
    while max > 1 << 100 {
        value >>= 1;
        max >>= 1;
    }
    let scaled = (value * u128::from(span) * 2 + max) / (2 * max);
    u64::try_from(scaled).unwrap_or(span)
}

/// The number of decimal digits of `n`.
fn digit_count(mut n: u128) -> u64 {
    let mut digits = 1;
    while n >= 10 {
        n /= 10;
        digits += 1;
    }
    digits
}

/// `label` cut to [`LABEL_MAX_CHARS`] characters (not bytes), the last one
/// an ellipsis, when it is longer; else `label` itself.
fn truncate(label: &str) -> Cow<'_, str> {
    match label.char_indices().nth(LABEL_MAX_CHARS) {
        None => Cow::Borrowed(label),
        Some(_) => {
            let kept: String = label.chars().take(LABEL_MAX_CHARS - 1).collect();
            Cow::Owned(format!("{}…", kept.trim_end()))
        }
    }
}

/// A length in tenths of px, written as a decimal number of px.
#[derive(Debug, Clone, Copy)]
struct Px(u64);

impl fmt::Display for Px {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 % 10 {
            0 => write!(f, "{}", self.0 / 10),
            tenths => write!(f, "{}.{tenths}", self.0 / 10),
        }
    }
}

/// Text escaped for XML content and attribute values: `& < > " '` become
/// entities, and characters XML 1.0 does not allow (most control
/// characters) are left out.
struct Esc<'a>(&'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                '\'' => f.write_str("&apos;")?,
                '\t' | '\n' | '\r' => f.write_char(c)?,
                '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {}
                _ => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A parsed XML element.
    #[derive(Debug)]
    struct Elem {
        name: String,
        attrs: Vec<(String, String)>,
        children: Vec<Node>,
    }

    #[derive(Debug)]
    enum Node {
        Elem(Elem),
        Text(String),
    }

    impl Elem {
        fn attr(&self, key: &str) -> Option<&str> {
            self.attrs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        }

        /// The element's own text, unescaped.
        fn text(&self) -> String {
            self.children
                .iter()
                .filter_map(|n| match n {
                    Node::Text(t) => Some(t.as_str()),
                    Node::Elem(_) => None,
                })
                .collect()
        }

        fn elems(&self) -> impl Iterator<Item = &Elem> {
            self.children.iter().filter_map(|n| match n {
                Node::Elem(e) => Some(e),
                Node::Text(_) => None,
            })
        }

        /// Every element named `name` in this element's tree, in order.
        fn find_all<'a>(&'a self, name: &str, out: &mut Vec<&'a Elem>) {
            for e in self.elems() {
                if e.name == name {
                    out.push(e);
                }
                e.find_all(name, out);
            }
        }

        fn all(&self, name: &str) -> Vec<&Elem> {
            let mut out = Vec::new();
            self.find_all(name, &mut out);
            out
        }

        /// A length attribute in tenths of px.
        fn len10(&self, key: &str) -> u64 {
            let v: f64 = self.attr(key).unwrap().parse().unwrap();
            (v * 10.0).round() as u64
        }
    }

    fn unescape(s: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find(['&', '<', '>']) {
            out.push_str(&rest[..i]);
            rest = &rest[i..];
            if !rest.starts_with('&') {
                return Err(format!("raw markup character in {s:?}"));
            }
            let end = rest
                .find(';')
                .ok_or_else(|| format!("bad entity in {s:?}"))?;
            out.push(match &rest[..=end] {
                "&amp;" => '&',
                "&lt;" => '<',
                "&gt;" => '>',
                "&quot;" => '"',
                "&apos;" => '\'',
                other => return Err(format!("unknown entity {other}")),
            });
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn parse_tag(tag: &str) -> Result<Elem, String> {
        let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
        let name = &tag[..name_end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!("bad tag name in <{tag}>"));
        }
        let mut attrs: Vec<(String, String)> = Vec::new();
        let mut rest = tag[name_end..].trim_start();
        while !rest.is_empty() {
            let eq = rest
                .find('=')
                .ok_or_else(|| format!("bad attribute in <{tag}>"))?;
            let key = &rest[..eq];
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(format!("bad attribute name {key:?}"));
            }
            let value = rest[eq + 1..]
                .strip_prefix('"')
                .ok_or_else(|| format!("unquoted attribute in <{tag}>"))?;
            let close = value
                .find('"')
                .ok_or_else(|| format!("unclosed attribute in <{tag}>"))?;
            if attrs.iter().any(|(k, _)| k == key) {
                return Err(format!("duplicate attribute {key}"));
            }
            attrs.push((key.to_string(), unescape(&value[..close])?));
            let after = &value[close + 1..];
            if !after.is_empty() && !after.starts_with(char::is_whitespace) {
                return Err(format!("no space between attributes in <{tag}>"));
            }
            rest = after.trim_start();
        }
        Ok(Elem {
            name: name.to_string(),
            attrs,
            children: Vec::new(),
        })
    }

    /// Parses `xml` as one well-formed element: tags balanced, attributes
    /// quoted and unique, every `&` a known entity, no stray `<` or `>`.
    fn parse(xml: &str) -> Result<Elem, String> {
        let mut stack: Vec<Elem> = Vec::new();
        let mut root: Option<Elem> = None;
        let mut rest = xml;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('<') {
                let end = after.find('>').ok_or("unclosed tag")?;
                let tag = &after[..end];
                rest = &after[end + 1..];
                if tag.contains('<') {
                    return Err(format!("'<' inside tag <{tag}>"));
                }
                if let Some(name) = tag.strip_prefix('/') {
                    let elem = stack.pop().ok_or_else(|| format!("stray </{name}>"))?;
                    if elem.name != name {
                        return Err(format!("<{}> closed by </{name}>", elem.name));
                    }
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(Node::Elem(elem)),
                        None => root = Some(elem),
                    }
                } else {
                    if root.is_some() {
                        return Err("content after the root element".to_string());
                    }
                    let (tag, closed) = match tag.strip_suffix('/') {
                        Some(t) => (t, true),
                        None => (tag, false),
                    };
                    let elem = parse_tag(tag)?;
                    if closed {
                        match stack.last_mut() {
                            Some(parent) => parent.children.push(Node::Elem(elem)),
                            None => root = Some(elem),
                        }
                    } else {
                        stack.push(elem);
                    }
                }
            } else {
                let end = rest.find('<').unwrap_or(rest.len());
                let text = unescape(&rest[..end])?;
                rest = &rest[end..];
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Text(text)),
                    None => return Err(format!("text outside the root: {text:?}")),
                }
            }
        }
        if let Some(open) = stack.last() {
            return Err(format!("<{}> never closed", open.name));
        }
        root.ok_or_else(|| "no element".to_string())
    }

    fn bar(label: &str, value: u64) -> Bar {
        Bar {
            label: label.to_string(),
            value,
        }
    }

    fn segments() -> Vec<Segment> {
        vec![
            Segment {
                name: "Жоғары".to_string(),
                colour: "#d4351c",
            },
            Segment {
                name: "Шектеулі".to_string(),
                colour: "#f47738",
            },
            Segment {
                name: "Minimal".to_string(),
                colour: "#00703c",
            },
        ]
    }

    fn stacked(label: &str, values: &[u64]) -> StackedBar {
        StackedBar {
            label: label.to_string(),
            values: values.to_vec(),
        }
    }

    /// A sample of every kind of chart, for the checks all charts must pass.
    fn samples() -> Vec<String> {
        let hostile = "<script>alert(\"x\")</script> & 'q'";
        let bars = vec![
            bar("Денсаулық сақтау", 12),
            bar(hostile, 3),
            bar("Образование", 0),
            bar("Finance", 40),
        ];
        let many: Vec<Bar> = (1..=36)
            .map(|i| bar(&format!("2024-{i:02}"), i * 1_000_003))
            .collect();
        let long: Vec<Bar> = (0..12)
            .map(|i| bar(&format!("Ауыл шаруашылығы және орман {i}"), i))
            .collect();
        let rows = vec![
            stacked("Денсаулық сақтау", &[1, 2, 3]),
            stacked(hostile, &[0, 5]),
            stacked("Zero", &[0, 0, 0]),
            stacked("Huge", &[u64::MAX, u64::MAX, u64::MAX, 9]),
        ];
        vec![
            bar_chart("a", hostile, hostile, hostile, &bars),
            bar_chart("b", "t", "d", "No data", &[]),
            bar_chart("c", "t", "d", "No data", &[bar("x", u64::MAX)]),
            stacked_bar_chart("d", hostile, hostile, hostile, &segments(), &rows),
            stacked_bar_chart("e", "t", "d", "No data", &segments(), &[]),
            stacked_bar_chart("f", "t", "d", "No data", &[], &rows),
            column_chart("g", hostile, hostile, hostile, &bars),
            column_chart("h", "t", "d", "No data", &[]),
            column_chart("i", "t", "d", "No data", &many),
            column_chart("j", "t", "d", "No data", &long),
            column_chart("k", "t", "d", "No data", &[bar("max", u64::MAX)]),
        ]
    }

    #[test]
    fn every_chart_is_well_formed_xml() {
        for svg in samples() {
            let root = parse(&svg).map_err(|e| format!("{e} in {svg}")).unwrap();
            assert_eq!(root.name, "svg");
        }
    }

    #[test]
    fn the_checker_refuses_bad_xml() {
        for bad in [
            "<svg><g></svg>",
            "<svg>a & b</svg>",
            "<svg>a < b</svg>",
            "<svg x=\"1\" x=\"2\"/>",
            "<svg x=1/>",
            "<svg></svg><svg></svg>",
            "<svg>&foo;</svg>",
            "<svg><text>",
        ] {
            assert!(parse(bad).is_err(), "{bad} passed");
        }
        assert!(parse("<svg a=\"&lt;\"><g/>x &amp; y</svg>").is_ok());
    }

    #[test]
    fn no_style_no_script_no_external_reference() {
        for svg in samples() {
            let lower = svg.to_lowercase();
            for banned in [
                "style",
                "<script",
                "href",
                "url(",
                "javascript:",
                "<foreignobject",
            ] {
                assert!(!lower.contains(banned), "{banned} in {svg}");
            }
        }
    }

    #[test]
    fn hostile_text_is_escaped() {
        let hostile = "<script>alert(\"x\")</script> & 'q'";
        let svg = bar_chart(
            "x\"<&'>",
            hostile,
            hostile,
            hostile,
            &[bar("<b>&\"'", 1), bar(hostile, 2)],
        );
        assert!(svg.contains("&lt;b&gt;&amp;&quot;&apos;"));
        assert!(svg.contains("id=\"x&quot;&lt;&amp;&apos;&gt;-title\""));
        let root = parse(&svg).unwrap();
        assert_eq!(root.all("title")[0].text(), hostile);
        assert_eq!(root.all("desc")[0].text(), hostile);
        assert_eq!(
            root.attr("aria-labelledby"),
            Some("x\"<&'>-title x\"<&'>-desc")
        );
        let texts: Vec<String> = root.all("text").iter().map(|t| t.text()).collect();
        assert!(texts.contains(&"<b>&\"'".to_string()));
        let titles: Vec<String> = root.all("title").iter().map(|t| t.text()).collect();
        assert!(titles.contains(&format!("{hostile}: 2")));

        // The empty text, segment names and colours are escaped too.
        let svg = stacked_bar_chart(
            "s",
            "t",
            "d",
            "<&>",
            &[Segment {
                name: "<i>".to_string(),
                colour: "red\" onload=\"x",
            }],
            &[stacked("a", &[1])],
        );
        assert!(!svg.contains("<i>") && !svg.contains("\" onload"));
        let root = parse(&svg).unwrap();
        assert!(root
            .all("rect")
            .iter()
            .any(|r| r.attr("fill") == Some("red\" onload=\"x")));
        assert!(!root.attrs.iter().any(|(k, _)| k == "onload"));
        let svg = column_chart("c", "t", "d", "<&>", &[]);
        assert!(svg.contains(">&lt;&amp;&gt;<"));
        parse(&svg).unwrap();
    }

    #[test]
    fn control_characters_are_dropped() {
        let svg = bar_chart(
            "c",
            "a\u{0}b\u{1b}c\u{ffff}",
            "d",
            "e",
            &[bar("x\u{7}y", 1)],
        );
        let root = parse(&svg).unwrap();
        assert_eq!(root.all("title")[0].text(), "abc");
        assert!(root.all("text").iter().any(|t| t.text() == "xy"));
    }

    #[test]
    fn the_svg_is_accessible_and_responsive() {
        for (svg, id) in [
            (
                bar_chart("by-sector", "T", "D", "E", &[bar("a", 1)]),
                "by-sector",
            ),
            (column_chart("per-month", "T", "D", "E", &[]), "per-month"),
            (
                stacked_bar_chart("risk", "T", "D", "E", &segments(), &[stacked("a", &[1])]),
                "risk",
            ),
        ] {
            assert!(svg.starts_with("<svg role=\"img\" "));
            let root = parse(&svg).unwrap();
            assert_eq!(root.attr("role"), Some("img"));
            assert_eq!(
                root.attr("aria-labelledby"),
                Some(format!("{id}-title {id}-desc").as_str())
            );
            assert_eq!(root.attr("width"), Some("100%"));
            assert_eq!(root.attr("height"), None);
            assert_eq!(root.attr("font-family"), Some("system-ui, sans-serif"));
            let view_box: Vec<u64> = root
                .attr("viewBox")
                .unwrap()
                .split(' ')
                .map(|n| n.parse().unwrap())
                .collect();
            assert_eq!(view_box[..3], [0, 0, WIDTH]);
            assert!(view_box[3] > 0);
            let first: Vec<&Elem> = root.elems().take(2).collect();
            assert_eq!(first[0].name, "title");
            assert_eq!(first[0].attr("id"), Some(format!("{id}-title").as_str()));
            assert_eq!(first[0].text(), "T");
            assert_eq!(first[1].name, "desc");
            assert_eq!(first[1].attr("id"), Some(format!("{id}-desc").as_str()));
            assert_eq!(first[1].text(), "D");
        }
    }

    #[test]
    fn the_height_follows_the_rows() {
        let height = |svg: &str| -> u64 {
            let root = parse(svg).unwrap();
            let view_box = root.attr("viewBox").unwrap().to_string();
            view_box.rsplit(' ').next().unwrap().parse().unwrap()
        };
        let three = bar_chart("a", "t", "d", "e", &[bar("a", 1), bar("b", 2), bar("c", 3)]);
        let four = bar_chart(
            "a",
            "t",
            "d",
            "e",
            &[bar("a", 1), bar("b", 2), bar("c", 3), bar("d", 4)],
        );
        assert_eq!(height(&four) - height(&three), ROW_H);
    }

    #[test]
    fn empty_input_draws_the_frame_and_the_empty_text() {
        for svg in [
            bar_chart("a", "t", "d", "Деректер жоқ", &[]),
            stacked_bar_chart("b", "t", "d", "Деректер жоқ", &segments(), &[]),
            column_chart("c", "t", "d", "Деректер жоқ", &[]),
        ] {
            let root = parse(&svg).unwrap();
            assert!(root.all("rect").is_empty());
            assert_eq!(root.all("line").len(), 1);
            let texts = root.all("text");
            assert_eq!(texts.len(), 1);
            assert_eq!(texts[0].text(), "Деректер жоқ");
        }
    }

    #[test]
    fn all_zero_input_draws_labels_and_zeros_but_no_bars() {
        let bars = [bar("Денсаулық", 0), bar("Білім", 0)];
        for svg in [
            bar_chart("a", "t", "d", "e", &bars),
            column_chart("c", "t", "d", "e", &bars),
            stacked_bar_chart(
                "b",
                "t",
                "d",
                "e",
                &segments(),
                &[stacked("Денсаулық", &[0, 0, 0]), stacked("Білім", &[])],
            ),
        ] {
            let root = parse(&svg).unwrap();
            // Only legend swatches, if any, are rectangles.
            assert!(root
                .all("rect")
                .iter()
                .all(|r| r.attr("width") == Some("12")));
            let texts: Vec<String> = root.all("text").iter().map(|t| t.text()).collect();
            assert!(texts.contains(&"Денсаулық".to_string()));
            assert!(texts.contains(&"Білім".to_string()));
            assert_eq!(texts.iter().filter(|t| *t == "0").count(), 2);
        }
    }

    #[test]
    fn a_zero_bar_keeps_its_label_and_number() {
        let root = parse(&bar_chart(
            "a",
            "t",
            "d",
            "e",
            &[bar("Нөл", 0), bar("Бір", 1)],
        ))
        .unwrap();
        let rows: Vec<&Elem> = root
            .all("g")
            .into_iter()
            .filter(|g| g.attrs.is_empty())
            .collect();
        assert_eq!(rows.len(), 2);
        let zero: Vec<String> = rows[0].all("text").iter().map(|t| t.text()).collect();
        assert_eq!(zero, ["Нөл", "0"]);
        assert!(rows[0].all("rect").is_empty());
        assert_eq!(rows[1].all("rect").len(), 1);
    }

    #[test]
    fn long_cyrillic_labels_are_cut_at_a_character() {
        let long = "Денсаулық сақтау және әлеуметтік қамсыздандыру";
        let cut = truncate(long);
        assert_eq!(cut.chars().count(), LABEL_MAX_CHARS);
        assert!(cut.ends_with('…'));
        let kept: String = long.chars().take(LABEL_MAX_CHARS - 1).collect();
        assert_eq!(cut.trim_end_matches('…'), kept.trim_end());
        // Exactly the limit is kept whole, one more is cut.
        let exact: String = "Ә".repeat(LABEL_MAX_CHARS);
        assert_eq!(truncate(&exact), exact.as_str());
        let over: String = "Ә".repeat(LABEL_MAX_CHARS + 1);
        assert_eq!(
            truncate(&over),
            format!("{}…", "Ә".repeat(LABEL_MAX_CHARS - 1))
        );
        // A space before the cut is not left before the ellipsis.
        let spaced = format!("{} {}", "ы".repeat(LABEL_MAX_CHARS - 2), "бөлігі");
        assert_eq!(
            truncate(&spaced),
            format!("{}…", "ы".repeat(LABEL_MAX_CHARS - 2))
        );

        for svg in [
            bar_chart("a", "t", "d", "e", &[bar(long, 5)]),
            column_chart("b", "t", "d", "e", &[bar(long, 5)]),
            stacked_bar_chart("c", "t", "d", "e", &segments(), &[stacked(long, &[5])]),
        ] {
            let root = parse(&svg).unwrap();
            let texts: Vec<String> = root.all("text").iter().map(|t| t.text()).collect();
            assert!(texts.contains(&cut.to_string()), "{svg}");
            assert!(!texts.iter().any(|t| t == long));
            let row = root
                .all("g")
                .into_iter()
                .find(|g| g.attrs.is_empty() && g.all("text").iter().any(|t| t.text() == cut))
                .unwrap();
            assert_eq!(row.elems().next().unwrap().name, "title");
            assert_eq!(row.elems().next().unwrap().text(), format!("{long}: 5"));
        }
    }

    #[test]
    fn the_widest_bar_spans_the_plot() {
        let bars = [bar("a", 3), bar("b", 10), bar("c", 7), bar("d", 1)];
        let root = parse(&bar_chart("a", "t", "d", "e", &bars)).unwrap();
        let rects = root.all("rect");
        assert_eq!(rects.len(), 4);
        let plot_w = plot_width(10);
        assert_eq!(rects[1].len10("width"), plot_w * 10);
        for (rect, b) in rects.iter().zip(&bars) {
            assert_eq!(rect.attr("x"), Some(LABEL_W.to_string().as_str()));
            assert_eq!(rect.attr("fill"), Some(BAR_FILL));
            assert_eq!(
                rect.len10("width"),
                scale(u128::from(b.value), 10, plot_w * 10)
            );
        }
        // The number sits just past the end of its bar.
        let numbers: Vec<&Elem> = root
            .all("text")
            .into_iter()
            .filter(|t| t.text() == "10")
            .collect();
        assert_eq!(numbers[0].len10("x"), (LABEL_W + plot_w + TEXT_GAP) * 10);
        // Room for the number is left right of the plot.
        assert!(LABEL_W + plot_w + TEXT_GAP + 2 * ROW_DIGIT_W10 / 10 < WIDTH);
    }

    #[test]
    fn the_tallest_column_spans_the_plot() {
        let columns = [bar("2025-01", 4), bar("2025-02", 9), bar("2025-03", 0)];
        let root = parse(&column_chart("a", "t", "d", "e", &columns)).unwrap();
        let rects = root.all("rect");
        assert_eq!(rects.len(), 2);
        assert_eq!(rects[1].len10("height"), PLOT_H * 10);
        assert_eq!(rects[0].len10("height"), scale(4, 9, PLOT_H * 10));
        // Columns stand on the same baseline, the axis.
        let axis = root.all("line")[0].len10("y1");
        for r in &rects {
            assert_eq!(r.len10("y") + r.len10("height"), axis);
        }
        let texts: Vec<String> = root.all("text").iter().map(|t| t.text()).collect();
        for want in ["2025-01", "2025-02", "2025-03", "4", "9", "0"] {
            assert!(texts.contains(&want.to_string()));
        }
    }

    #[test]
    fn crowded_columns_turn_their_text() {
        let many: Vec<Bar> = (1..=36)
            .map(|i| bar(&format!("2024-{i:02}"), i * 1_000_003))
            .collect();
        let root = parse(&column_chart("a", "t", "d", "e", &many)).unwrap();
        let texts = root.all("text");
        assert_eq!(texts.len(), 72);
        assert!(texts.iter().all(|t| t.attr("transform").is_some()));
        // Turned labels stay inside the viewBox on the left.
        assert!(texts.iter().all(|t| t.len10("x") >= 10 * 8));

        let twelve: Vec<Bar> = (1..=12).map(|i| bar(&format!("2025-{i:02}"), i)).collect();
        let root = parse(&column_chart("a", "t", "d", "e", &twelve)).unwrap();
        let slanted = root
            .all("text")
            .into_iter()
            .filter(|t| {
                t.attr("transform")
                    .is_some_and(|r| r.starts_with("rotate(-45 "))
            })
            .count();
        assert_eq!(slanted, 12);

        let few = [bar("Қаң", 1), bar("Ақп", 2)];
        let root = parse(&column_chart("a", "t", "d", "e", &few)).unwrap();
        assert!(root
            .all("text")
            .iter()
            .all(|t| t.attr("transform").is_none()));
    }

    #[test]
    fn stacked_parts_add_up_to_the_bar() {
        let rows = [
            stacked("a", &[1, 2, 3]),
            stacked("b", &[7, 0, 5]),
            stacked("c", &[1, 1, 1]),
            stacked("d", &[0, 0, 1]),
        ];
        let root = parse(&stacked_bar_chart("s", "t", "d", "e", &segments(), &rows)).unwrap();
        let max = 12u128;
        let plot_w = plot_width(max);
        let groups: Vec<&Elem> = root
            .all("g")
            .into_iter()
            .filter(|g| {
                g.attrs.is_empty() && g.all("rect").iter().all(|r| r.attr("height") == Some("18"))
            })
            .collect();
        assert_eq!(groups.len(), rows.len());
        for (group, row) in groups.iter().zip(&rows) {
            let rects = group.all("rect");
            // Zero parts draw nothing.
            assert_eq!(rects.len(), row.values.iter().filter(|v| **v > 0).count());
            let mut x = LABEL_W * 10;
            for rect in &rects {
                assert_eq!(rect.len10("x"), x, "parts touch");
                x += rect.len10("width");
            }
            let total: u64 = row.values.iter().sum();
            let sum: u64 = rects.iter().map(|r| r.len10("width")).sum();
            assert_eq!(sum, scale(u128::from(total), max, plot_w * 10));
            // The total is printed at the bar's end.
            let number = group
                .all("text")
                .into_iter()
                .find(|t| t.text() == total.to_string())
                .unwrap();
            assert_eq!(number.len10("x"), x + TEXT_GAP * 10);
        }
        // The longest bar spans the plot.
        let widest: u64 = groups[1].all("rect").iter().map(|r| r.len10("width")).sum();
        assert_eq!(widest, plot_w * 10);
        // The parts take the segments' colours in order and name them.
        let fills: Vec<&str> = groups[0]
            .all("rect")
            .iter()
            .map(|r| r.attr("fill").unwrap())
            .collect();
        assert_eq!(fills, ["#d4351c", "#f47738", "#00703c"]);
        assert_eq!(
            groups[0].all("rect")[1].all("title")[0].text(),
            "Шектеулі: 2"
        );
    }

    #[test]
    fn the_legend_names_every_segment_above_the_bars() {
        let root = parse(&stacked_bar_chart(
            "s",
            "t",
            "d",
            "e",
            &segments(),
            &[stacked("a", &[1])],
        ))
        .unwrap();
        let swatches: Vec<&Elem> = root
            .all("rect")
            .into_iter()
            .filter(|r| r.attr("width") == Some("12"))
            .collect();
        assert_eq!(swatches.len(), 3);
        let texts: Vec<String> = root.all("text").iter().map(|t| t.text()).collect();
        assert_eq!(texts[..3], ["Жоғары", "Шектеулі", "Minimal"]);
        let bar = root
            .all("rect")
            .into_iter()
            .find(|r| r.attr("height") == Some("18"))
            .unwrap();
        assert!(swatches.iter().all(|s| s.len10("y") + 120 < bar.len10("y")));

        // Many segments wrap onto more lines, inside the viewBox.
        let many: Vec<Segment> = (0..12)
            .map(|i| Segment {
                name: format!("Тәуекел деңгейі {i}"),
                colour: "#00758A",
            })
            .collect();
        let root = parse(&stacked_bar_chart(
            "s",
            "t",
            "d",
            "e",
            &many,
            &[stacked("a", &[1])],
        ))
        .unwrap();
        let swatches: Vec<&Elem> = root
            .all("rect")
            .into_iter()
            .filter(|r| r.attr("width") == Some("12"))
            .collect();
        assert_eq!(swatches.len(), 12);
        assert!(swatches.iter().any(|s| s.len10("y") > 200));
        assert!(swatches.iter().all(|s| s.len10("x") < (WIDTH - PAD) * 10));
    }

    #[test]
    fn huge_counts_do_not_overflow() {
        let svg = stacked_bar_chart(
            "s",
            "t",
            "d",
            "e",
            &segments(),
            &[
                stacked("a", &[u64::MAX, u64::MAX, u64::MAX]),
                stacked("b", &[1]),
            ],
        );
        let total = 3 * u128::from(u64::MAX);
        assert!(svg.contains(&format!(">{total}<")));
        parse(&svg).unwrap();
        assert_eq!(scale(u128::MAX, u128::MAX, 100), 100);
        assert_eq!(scale(u128::MAX / 2, u128::MAX, 100), 50);
        assert_eq!(scale(5, 0, 100), 0);
    }

    #[test]
    fn output_is_deterministic() {
        assert_eq!(samples(), samples());
    }

    #[test]
    fn numbers_and_lengths_are_plain() {
        assert_eq!(Px(0).to_string(), "0");
        assert_eq!(Px(120).to_string(), "12");
        assert_eq!(Px(1234).to_string(), "123.4");
        assert_eq!(digit_count(0), 1);
        assert_eq!(digit_count(9), 1);
        assert_eq!(digit_count(10), 2);
        assert_eq!(digit_count(u128::MAX), 39);
        let svg = bar_chart("a", "t", "d", "e", &[bar("a", 1_234_567)]);
        assert!(svg.contains(">1234567<"));
    }
}
