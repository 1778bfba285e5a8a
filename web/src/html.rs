//! Small HTML helpers for the node's pages: escaping user text for element content
//! and attribute values, embedding JSON in a `<script>` element, and the page
//! shell every page shares (language, viewport, style sheet, header, `<main>`).

use std::fmt::Write;

/// `text` escaped for HTML element content and double- or single-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// JSON text made safe inside `<script type="application/json">`: no `<` can close
/// the element and no U+2028/U+2029 can break a JavaScript parser; the JSON value
/// is unchanged.
pub fn script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            _ => out.push(c),
        }
    }
    out
}

/// A whole page: `title` and `instance` are plain text (escaped here); `head_extra`
/// and `body` are HTML the caller built with escaped user text.
pub fn page(instance: &str, title: &str, head_extra: &str, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 1024);
    let instance = escape(instance);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} – {instance}</title>\n<link rel=\"icon\" href=\"data:,\">\n\
         <link rel=\"stylesheet\" href=\"/ui/shoal.css\">\n{head_extra}</head>\n\
         <body>\n<header class=\"site\"><a href=\"/\" class=\"home\">{instance}</a></header>\n\
         <main id=\"main\">\n{body}</main>\n</body>\n</html>\n",
        title = escape(title),
    );
    out
}

/// `secs` as `m:ss` or `h:mm:ss`, like video durations on PeerTube.
pub fn duration(secs: f64) -> String {
    let total = if secs.is_finite() && secs > 0.0 { secs.round() as u64 } else { 0 };
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(escape("plain café"), "plain café");
    }

    #[test]
    fn script_json_cannot_close_the_script() {
        let json = serde_json::json!({ "name": "</script><script>alert(1)</script>\u{2028}" }).to_string();
        let safe = script_json(&json);
        assert!(!safe.contains('<'));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap_or_default();
        assert_eq!(back["name"], "</script><script>alert(1)</script>\u{2028}");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(0.0), "0:00");
        assert_eq!(duration(5.4), "0:05");
        assert_eq!(duration(65.0), "1:05");
        assert_eq!(duration(3_725.0), "1:02:05");
        assert_eq!(duration(f64::NAN), "0:00");
    }

    #[test]
    fn page_escapes_its_title() {
        let html = page("Inst<ance>", "<b>title</b>", "", "<p>body</p>");
        assert!(html.contains("<title>&lt;b&gt;title&lt;/b&gt; – Inst&lt;ance&gt;</title>"));
        assert!(html.contains("<p>body</p>"));
    }

    proptest! {
        #[test]
        fn escaped_text_has_no_markup(text in ".*") {
            let out = escape(&text);
            prop_assert!(!out.contains('<') && !out.contains('>') && !out.contains('"') && !out.contains('\''));
        }
    }
}
