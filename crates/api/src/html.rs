//! The page layout every page shares, and the small components pages are built from.
//!
//! Pages are written with [maud](https://maud.lambda.xyz): the templates are plain Rust,
//! checked by the compiler like the rest of the code (a field that is renamed or removed
//! breaks the build, not a page at run time), there are no template files beside the code
//! to get out of sync, and every `(value)` spliced into markup is HTML-escaped unless it is
//! wrapped in `PreEscaped` on purpose (only the server-drawn SVG graph is). No page carries
//! inline `<script>` or `style=`: scripts and styles come from `web/` through `/assets`, so
//! the Content-Security-Policy (`crate::security`) can forbid inline code.

use maud::{html, Markup, PreEscaped, DOCTYPE};

/// Escape text for HTML element content and attribute values (for the SVG graph, which is
/// drawn as a string; pages use maud, which escapes by itself).
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
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

/// One page: its title, the scripts it loads from `/assets`, and whether it refreshes itself
/// without JavaScript (a `<noscript>` meta refresh: no inline script needed).
#[derive(Debug, Default)]
pub struct Page<'a> {
    title: &'a str,
    scripts: Vec<&'static str>,
    refresh_without_js: Option<u32>,
}

impl<'a> Page<'a> {
    pub fn new(title: &'a str) -> Self {
        Page {
            title,
            ..Default::default()
        }
    }

    /// Load `/assets/{file}` (deferred).
    pub fn script(mut self, file: &'static str) -> Self {
        self.scripts.push(file);
        self
    }

    /// Without JavaScript, reload the page every `seconds`.
    pub fn refresh_without_js(mut self, seconds: u32) -> Self {
        self.refresh_without_js = Some(seconds);
        self
    }

    /// The whole document around `body`.
    pub fn render(&self, body: Markup) -> Markup {
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (self.title) " · media-hub" }
                    link rel="icon" href="/assets/favicon.svg" type="image/svg+xml";
                    link rel="stylesheet" href="/assets/app.css";
                    @if let Some(s) = self.refresh_without_js {
                        noscript { meta http-equiv="refresh" content=(s); }
                    }
                    @for file in &self.scripts {
                        script src={ "/assets/" (file) } defer {}
                    }
                }
                body {
                    header.top {
                        a.brand href="/" { "media-hub" }
                        nav {
                            a href="/" { "Upload" }
                            a href="/gallery" { "Gallery" }
                            a href="/console" { "Executions" }
                        }
                    }
                    main { (body) }
                }
            }
        }
    }
}

/// A whole page around `body`, with no scripts.
pub fn page(title: &str, body: Markup) -> Markup {
    Page::new(title).render(body)
}

/// A status badge (`READY`, `FAILED`, `SUCCEEDED` …).
pub fn badge(status: &str) -> Markup {
    html! { span class={ "badge " (status.to_ascii_lowercase()) } { (status) } }
}

/// Pretty JSON inside a `<pre>`.
pub fn json_block(value: &serde_json::Value) -> Markup {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    html! { pre.json { (text) } }
}

/// Markup drawn as a string elsewhere and already escaped there (the SVG graph).
pub fn trusted(markup: String) -> Markup {
    PreEscaped(markup)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<img src=x onerror='a'>&\""),
            "&lt;img src=x onerror=&#39;a&#39;&gt;&amp;&quot;"
        );
    }

    #[test]
    fn the_layout_escapes_the_title_and_has_no_inline_code() {
        let out = Page::new("<b>x</b>")
            .script("reel.js")
            .refresh_without_js(2)
            .render(html! { p { "<script>alert(1)</script>" } })
            .into_string();
        assert!(out.contains("&lt;b&gt;x&lt;/b&gt; · media-hub"), "{out}");
        assert!(
            out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{out}"
        );
        assert!(
            out.contains(r#"<script src="/assets/reel.js" defer></script>"#),
            "{out}"
        );
        assert!(out.contains(r#"<noscript><meta http-equiv="refresh" content="2"></noscript>"#));
        assert!(!out.contains("style="), "{out}");
    }
}
