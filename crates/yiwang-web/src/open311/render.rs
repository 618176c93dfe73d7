//! The two formats of GeoReport v2. A response is built once as a `Node` tree and
//! written as XML or as JSON by the Spark convention the spec names (GeoReport v2,
//! JSON Support): a list element becomes an array of its items, the root list is the
//! top-level array, an empty element is `null`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xml,
    Json,
}

impl Format {
    /// Splits `services.json` into `services` and its format. GeoReport v2, Format
    /// Support: "the client can specify the desired format by appending the format
    /// name to the resource"; XML is the required format, so a bare name is XML.
    pub fn split(file: &str) -> (&str, Result<Format, String>) {
        match file.rsplit_once('.') {
            None => (file, Ok(Format::Xml)),
            Some((name, "xml")) => (name, Ok(Format::Xml)),
            Some((name, "json")) => (name, Ok(Format::Json)),
            Some((name, other)) => (name, Err(other.to_owned())),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Node {
    /// Child elements, in the spec's order.
    Obj(Vec<(&'static str, Node)>),
    /// Repeated elements named by the first field (`<service>` in `<services>`).
    List(&'static str, Vec<Node>),
    Text(Option<String>),
    Num(Option<f64>),
    Int(i64),
    Bool(bool),
}

pub fn text(s: impl Into<String>) -> Node {
    Node::Text(Some(s.into()))
}

pub fn opt(s: Option<impl Into<String>>) -> Node {
    Node::Text(s.map(Into::into))
}

/// GeoReport v2, Date/time format: w3 ISO 8601 with the offset; yiwang answers in
/// China Standard Time, `+08:00`.
pub fn datetime(t: DateTime<Utc>) -> Node {
    Node::Text(Some(w3(t)))
}

pub fn opt_datetime(t: Option<DateTime<Utc>>) -> Node {
    Node::Text(t.map(w3))
}

pub fn w3(t: DateTime<Utc>) -> String {
    let tz = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    t.with_timezone(&tz).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// Escapes text for XML and drops the characters XML 1.0 cannot carry at all.
fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { format!("{n}") }
}

fn xml_node(tag: &str, n: &Node, out: &mut String) {
    match n {
        Node::Text(None) | Node::Num(None) => {
            out.push('<');
            out.push_str(tag);
            out.push_str("/>");
            return;
        }
        _ => {}
    }
    out.push('<');
    out.push_str(tag);
    out.push('>');
    match n {
        Node::Obj(fields) => {
            for (k, v) in fields {
                xml_node(k, v, out);
            }
        }
        Node::List(item, items) => {
            for v in items {
                xml_node(item, v, out);
            }
        }
        Node::Text(Some(s)) => escape(s, out),
        Node::Num(Some(x)) => out.push_str(&number(*x)),
        Node::Int(i) => out.push_str(&i.to_string()),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Text(None) | Node::Num(None) => unreachable!("handled above"),
    }
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

pub fn to_xml(root: &str, n: &Node) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml_node(root, n, &mut out);
    out.push('\n');
    out
}

pub fn to_json(n: &Node) -> serde_json::Value {
    use serde_json::Value;
    match n {
        Node::Obj(fields) => Value::Object(fields.iter().map(|(k, v)| ((*k).to_owned(), to_json(v))).collect()),
        Node::List(_, items) => Value::Array(items.iter().map(to_json).collect()),
        Node::Text(s) => s.clone().map(Value::String).unwrap_or(Value::Null),
        Node::Num(x) => x.and_then(serde_json::Number::from_f64).map(Value::Number).unwrap_or(Value::Null),
        Node::Int(i) => Value::from(*i),
        Node::Bool(b) => Value::Bool(*b),
    }
}

/// A response in the format asked for, with the content types GeoReport v2 gives
/// (Format Support): `text/xml; charset=utf-8` and `application/json; charset=utf-8`.
pub fn respond(status: StatusCode, format: Format, root: &str, n: &Node) -> Response {
    let (body, ct) = match format {
        Format::Xml => (to_xml(root, n), "text/xml; charset=utf-8"),
        Format::Json => (to_json(n).to_string(), "application/json; charset=utf-8"),
    };
    let mut r = (status, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_drops_control_characters() {
        let n = Node::Obj(vec![("a", text("<b>&\"'\u{1}中")), ("c", Node::Text(None))]);
        assert_eq!(
            to_xml("r", &n),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<r><a>&lt;b&gt;&amp;&quot;&apos;中</a><c/></r>\n"
        );
    }

    #[test]
    fn json_follows_the_spark_convention() {
        let n = Node::List("service", vec![Node::Obj(vec![("x", Node::Num(Some(1.5))), ("y", opt(None::<String>))])]);
        assert_eq!(to_json(&n).to_string(), r#"[{"x":1.5,"y":null}]"#);
    }

    #[test]
    fn datetimes_carry_the_china_offset() {
        let t = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 16, 1, 0, 0).unwrap();
        assert_eq!(w3(t), "2026-11-16T09:00:00+08:00");
    }

    #[test]
    fn the_format_comes_from_the_suffix() {
        assert_eq!(Format::split("services.json"), ("services", Ok(Format::Json)));
        assert_eq!(Format::split("services.xml"), ("services", Ok(Format::Xml)));
        assert_eq!(Format::split("services"), ("services", Ok(Format::Xml)));
        assert_eq!(Format::split("services.csv"), ("services", Err("csv".into())));
    }
}
