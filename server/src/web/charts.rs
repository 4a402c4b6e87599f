//! Charts drawn on the server as SVG: no JavaScript and no CDN, so they work in an office with
//! no internet and print as they show. Three shapes cover the dashboard: horizontal bars (cases
//! by category), paired bars (this period against the previous one) and one stacked bar
//! (reporting completeness).
//!
//! Every text is XML-escaped; every chart has a `<title>` for screen readers.

use std::fmt::Write;

const WIDTH: f64 = 640.0;
const LABEL_W: f64 = 250.0;
const BAR_H: f64 = 18.0;
const GAP: f64 = 8.0;
const VALUE_W: f64 = 60.0;

/// Escape text for SVG/XML content and attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A label cut to fit the label column (the full text stays in the table next to the chart).
fn fit(label: &str) -> String {
    const MAX: usize = 40;
    if label.chars().count() <= MAX {
        label.to_string()
    } else {
        let cut: String = label.chars().take(MAX - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn scale(v: f64, max: f64) -> f64 {
    if max <= 0.0 || !v.is_finite() || v <= 0.0 {
        0.0
    } else {
        (v / max) * (WIDTH - LABEL_W - VALUE_W)
    }
}

/// Horizontal bars, one per `(label, value)`, scaled to the largest value.
pub fn bar_chart(title: &str, items: &[(String, f64)]) -> String {
    let max = items.iter().map(|(_, v)| *v).fold(0.0, f64::max);
    let height = GAP + items.len() as f64 * (BAR_H + GAP);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}"><title>{}</title>"#,
        escape(title)
    );
    for (i, (label, v)) in items.iter().enumerate() {
        let y = GAP + i as f64 * (BAR_H + GAP);
        let w = scale(*v, max);
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" class="lbl">{}</text><rect class="bar" x="{LABEL_W}" y="{y:.1}" width="{w:.1}" height="{BAR_H}"/><text x="{:.1}" y="{:.1}" class="val">{}</text>"#,
            LABEL_W - 6.0,
            y + BAR_H - 4.0,
            escape(&fit(label)),
            LABEL_W + w + 4.0,
            y + BAR_H - 4.0,
            fmt_num(*v)
        );
    }
    s.push_str("</svg>");
    s
}

/// Paired bars: for each `(label, current, previous)`, this period's bar above the previous
/// period's (lighter), scaled together.
pub fn trend_chart(
    title: &str,
    current_label: &str,
    previous_label: &str,
    items: &[(String, f64, f64)],
) -> String {
    let max = items
        .iter()
        .flat_map(|(_, c, p)| [*c, *p])
        .fold(0.0, f64::max);
    let row_h = 2.0 * BAR_H + GAP;
    let height = 30.0 + items.len() as f64 * row_h;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}"><title>{}</title>"#,
        escape(title)
    );
    let _ = write!(
        s,
        r#"<rect class="bar" x="{LABEL_W}" y="6" width="12" height="12"/><text x="{:.1}" y="16" class="val">{}</text><rect class="bar prev" x="{:.1}" y="6" width="12" height="12"/><text x="{:.1}" y="16" class="val">{}</text>"#,
        LABEL_W + 16.0,
        escape(current_label),
        LABEL_W + 140.0,
        LABEL_W + 156.0,
        escape(previous_label)
    );
    for (i, (label, cur, prev)) in items.iter().enumerate() {
        let y = 30.0 + i as f64 * row_h;
        let (wc, wp) = (scale(*cur, max), scale(*prev, max));
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" class="lbl">{}</text><rect class="bar" x="{LABEL_W}" y="{y:.1}" width="{wc:.1}" height="{BAR_H}"/><text x="{:.1}" y="{:.1}" class="val">{}</text><rect class="bar prev" x="{LABEL_W}" y="{:.1}" width="{wp:.1}" height="{BAR_H}"/><text x="{:.1}" y="{:.1}" class="val">{}</text>"#,
            LABEL_W - 6.0,
            y + BAR_H + 2.0,
            escape(&fit(label)),
            LABEL_W + wc + 4.0,
            y + BAR_H - 4.0,
            fmt_num(*cur),
            y + BAR_H,
            LABEL_W + wp + 4.0,
            y + 2.0 * BAR_H - 4.0,
            fmt_num(*prev)
        );
    }
    s.push_str("</svg>");
    s
}

/// One stacked bar of the whole width: each `(label, count, css class)` segment in proportion,
/// with a legend below.
pub fn stacked_bar(title: &str, parts: &[(String, u64, &str)]) -> String {
    let total: u64 = parts.iter().map(|(_, n, _)| *n).sum();
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} 64" width="{WIDTH}" height="64"><title>{}</title>"#,
        escape(title)
    );
    let mut x = 0.0;
    for (_, n, class) in parts {
        if total == 0 || *n == 0 {
            continue;
        }
        let w = WIDTH * (*n as f64) / (total as f64);
        let _ = write!(
            s,
            r#"<rect class="seg {}" x="{x:.1}" y="4" width="{w:.1}" height="24"/>"#,
            escape(class)
        );
        x += w;
    }
    if total == 0 {
        let _ = write!(
            s,
            r#"<rect class="seg empty" x="0" y="4" width="{WIDTH}" height="24"/>"#
        );
    }
    let step = WIDTH / parts.len().max(1) as f64;
    for (i, (label, n, class)) in parts.iter().enumerate() {
        let lx = i as f64 * step;
        let _ = write!(
            s,
            r#"<rect class="seg {}" x="{lx:.1}" y="40" width="12" height="12"/><text x="{:.1}" y="50" class="val">{}: {n}</text>"#,
            escape(class),
            lx + 16.0,
            escape(label)
        );
    }
    s.push_str("</svg>");
    s
}

/// A sparkline: one small line over a series (oldest first), inline in a table cell. Undefined
/// values (`None`, e.g. a rate with no case) break the line; the last point is marked. The
/// values are in the `<title>` as `labels[i]: text[i]` for screen readers and hover.
pub fn sparkline(values: &[Option<f64>], labels: &[String]) -> String {
    const W: f64 = 64.0;
    const H: f64 = 18.0;
    const PAD: f64 = 2.0;
    let finite: Vec<f64> = values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let max = finite.iter().copied().fold(0.0_f64, f64::max);
    let min = finite.iter().copied().fold(max, f64::min).min(0.0);
    let span = if max - min > 0.0 { max - min } else { 1.0 };
    let n = values.len();
    let x = |i: usize| {
        if n > 1 {
            PAD + (W - 2.0 * PAD) * i as f64 / (n - 1) as f64
        } else {
            W / 2.0
        }
    };
    let y = |v: f64| H - PAD - (H - 2.0 * PAD) * (v - min) / span;
    let mut title = String::new();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            title.push_str("; ");
        }
        let _ = write!(
            title,
            "{}: {}",
            labels.get(i).map(String::as_str).unwrap_or(""),
            v.map_or("–".to_string(), fmt_num)
        );
    }
    let mut out = format!(
        "<svg class=\"spark\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\"><title>{}</title>",
        escape(&title)
    );
    let mut run: Vec<String> = Vec::new();
    let flush = |run: &mut Vec<String>, out: &mut String| {
        if run.len() > 1 {
            let _ = write!(out, "<polyline points=\"{}\"/>", run.join(" "));
        }
        run.clear();
    };
    for (i, v) in values.iter().enumerate() {
        match v.filter(|v| v.is_finite()) {
            Some(v) => run.push(format!("{:.1},{:.1}", x(i), y(v))),
            None => flush(&mut run, &mut out),
        }
    }
    flush(&mut run, &mut out);
    if let Some(Some(v)) = values.last().map(|v| v.filter(|v| v.is_finite())) {
        let _ = write!(
            out,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2\"/>",
            x(n - 1),
            y(v)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widths(svg: &str, class: &str) -> Vec<f64> {
        let pat = format!(r#"class="{class}""#);
        svg.split("<rect ")
            .filter(|r| r.contains(&pat))
            .filter_map(|r| {
                let w = r.split("width=\"").nth(1)?;
                w.split('"').next()?.parse().ok()
            })
            .collect()
    }

    #[test]
    fn bars_are_proportional_and_labels_escaped() {
        let svg = bar_chart(
            "Vụ <việc>",
            &[("A & B".into(), 10.0), ("C".into(), 5.0), ("D".into(), 0.0)],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title>Vụ &lt;việc&gt;</title>"));
        assert!(svg.contains("A &amp; B"));
        let w = widths(&svg, "bar");
        assert_eq!(w.len(), 3);
        assert!((w[0] - 2.0 * w[1]).abs() < 0.2, "{w:?}");
        assert_eq!(w[2], 0.0);
    }

    #[test]
    fn long_labels_are_cut_to_fit() {
        let long = "Tranh chấp phát sinh từ quan hệ hôn nhân và gia đình";
        let svg = bar_chart("x", &[(long.into(), 1.0)]);
        assert!(!svg.contains(long));
        assert!(
            svg.contains("Tranh chấp phát sinh từ quan hệ hôn nhâ…"),
            "{svg}"
        );
    }

    #[test]
    fn empty_and_zero_charts_do_not_divide_by_zero() {
        let svg = bar_chart("x", &[("a".into(), 0.0)]);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        let svg = stacked_bar("x", &[("a".into(), 0, "ok"), ("b".into(), 0, "late")]);
        assert!(svg.contains("seg empty"));
        assert!(!svg.contains("NaN"));
    }

    #[test]
    fn trend_pairs_current_with_previous_on_one_scale() {
        let svg = trend_chart("t", "Kỳ này", "Kỳ trước", &[("Thành".into(), 4.0, 8.0)]);
        let cur = widths(&svg, "bar");
        let prev = widths(&svg, "bar prev");
        // First "bar" is the legend swatch (12), then the data bar.
        assert_eq!(cur.len(), 2);
        assert_eq!(prev.len(), 2);
        assert!((prev[1] - 2.0 * cur[1]).abs() < 0.2, "{cur:?} {prev:?}");
    }

    #[test]
    fn stacked_segments_fill_the_width_in_proportion() {
        let svg = stacked_bar(
            "c",
            &[("đúng hạn".into(), 3, "ok"), ("muộn".into(), 1, "late")],
        );
        let ok = widths(&svg, "seg ok");
        let late = widths(&svg, "seg late");
        assert!((ok[0] - WIDTH * 0.75).abs() < 0.2);
        assert!((late[0] - WIDTH * 0.25).abs() < 0.2);
        assert!(svg.contains("đúng hạn: 3"));
    }

    #[test]
    fn sparkline_scales_breaks_and_escapes() {
        let labels: Vec<String> = ["T1", "T2", "<T3>"].iter().map(|s| s.to_string()).collect();
        let svg = sparkline(&[Some(0.0), Some(10.0), Some(5.0)], &labels);
        assert!(svg.starts_with("<svg class=\"spark\""));
        // 0 at the bottom (y = 16), 10 at the top (y = 2), the last point marked.
        assert!(
            svg.contains("points=\"2.0,16.0 32.0,2.0 62.0,9.0\""),
            "{svg}"
        );
        assert!(svg.contains("<circle cx=\"62.0\" cy=\"9.0\""));
        assert!(svg.contains("&lt;T3&gt;: 5"));
        // A gap breaks the line; one point alone draws no line; no division by zero.
        let svg = sparkline(&[Some(1.0), None, Some(1.0)], &labels);
        assert!(!svg.contains("polyline"), "{svg}");
        let svg = sparkline(&[None, None], &labels);
        assert!(!svg.contains("circle") && !svg.contains("NaN"));
    }
}
