//! RFC 9421 HTTP Message Signatures for requests: `Signature-Input` and `Signature` structured
//! fields, covered components, the signature base, and the fields Shoal sends (`rsa-v1_5-sha256`).

use sfv::{BareItem, InnerList, Item, List, ListEntry, Parameters, Parser, SerializeValue};

use super::error::SignatureError;
use super::request::RequestParts;

/// Longest `Signature-Input` or `Signature` field accepted.
const MAX_FIELD_LEN: usize = 8 * 1024;

/// The one algorithm Shoal signs and verifies with.
pub const ALG_RSA_V1_5_SHA256: &str = "rsa-v1_5-sha256";

/// A covered component of a request signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Component {
    /// `@method`: the method, e.g. `POST`.
    Method,
    /// `@target-uri`: `scheme://authority/path?query`.
    TargetUri,
    /// `@authority`: the host (and port), lower-cased.
    Authority,
    /// `@path`: the path, `/` when empty.
    Path,
    /// `@query`: the query with its `?`, a lone `?` when absent.
    Query,
    /// `@request-target`: the path and query as sent.
    RequestTarget,
    /// A header field, by lower-case name.
    Field(String),
}

impl Component {
    /// The component identifier, e.g. `@method` or `content-digest`.
    pub fn name(&self) -> &str {
        match self {
            Component::Method => "@method",
            Component::TargetUri => "@target-uri",
            Component::Authority => "@authority",
            Component::Path => "@path",
            Component::Query => "@query",
            Component::RequestTarget => "@request-target",
            Component::Field(name) => name,
        }
    }

    fn from_name(name: &str) -> Result<Component, SignatureError> {
        Ok(match name {
            "@method" => Component::Method,
            "@target-uri" => Component::TargetUri,
            "@authority" => Component::Authority,
            "@path" => Component::Path,
            "@query" => Component::Query,
            "@request-target" => Component::RequestTarget,
            other if other.starts_with('@') => {
                return Err(SignatureError::Malformed(format!("unsupported component {other}")))
            }
            other if other.is_empty() || other.bytes().any(|b| b.is_ascii_uppercase()) => {
                return Err(SignatureError::Malformed(format!("bad field name {other:?}")))
            }
            other => Component::Field(other.to_string()),
        })
    }

    /// This component's value in `request`.
    fn value(&self, request: &RequestParts<'_>) -> Result<String, SignatureError> {
        Ok(match self {
            Component::Method => request.method.as_str().to_string(),
            Component::TargetUri => {
                format!("{}://{}{}", request.scheme, request.authority_lower(), request.path_and_query)
            }
            Component::Authority => request.authority_lower(),
            Component::Path => request.path().to_string(),
            Component::Query => request.query(),
            Component::RequestTarget => request.path_and_query.to_string(),
            Component::Field(name) => request.header_value(name)?,
        })
    }
}

/// The signature parameters: covered components and metadata.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignatureParams {
    /// Covered components, in order.
    pub components: Vec<Component>,
    /// `created`, unix seconds.
    pub created: Option<i64>,
    /// `expires`, unix seconds.
    pub expires: Option<i64>,
    /// `keyid`.
    pub keyid: Option<String>,
    /// `alg`.
    pub alg: Option<String>,
    /// `nonce`.
    pub nonce: Option<String>,
    /// `tag`.
    pub tag: Option<String>,
}

impl SignatureParams {
    /// The parameters as an inner list, the value of `Signature-Input` and `@signature-params`.
    pub fn serialize(&self) -> Result<String, SignatureError> {
        let items = self.components.iter().map(|c| Item::new(BareItem::String(c.name().to_string()))).collect();
        let mut params = Parameters::new();
        if let Some(created) = self.created {
            params.insert("created".into(), BareItem::Integer(created));
        }
        if let Some(expires) = self.expires {
            params.insert("expires".into(), BareItem::Integer(expires));
        }
        for (name, value) in [("keyid", &self.keyid), ("alg", &self.alg), ("nonce", &self.nonce), ("tag", &self.tag)] {
            if let Some(value) = value {
                params.insert(name.into(), BareItem::String(value.clone()));
            }
        }
        let list: List = vec![ListEntry::InnerList(InnerList::with_params(items, params))];
        list.serialize_value().map_err(|e| SignatureError::Malformed(format!("cannot serialise parameters: {e}")))
    }

    fn from_inner_list(list: &InnerList) -> Result<SignatureParams, SignatureError> {
        let mut out = SignatureParams::default();
        for item in &list.items {
            if !item.params.is_empty() {
                return Err(SignatureError::Malformed("component parameters are not supported".into()));
            }
            let name =
                item.bare_item.as_str().ok_or_else(|| SignatureError::Malformed("component is not a string".into()))?;
            let component = Component::from_name(name)?;
            if out.components.contains(&component) {
                return Err(SignatureError::Malformed(format!("{name} covered twice")));
            }
            out.components.push(component);
        }
        for (name, value) in &list.params {
            let wrong = || SignatureError::Malformed(format!("bad type for parameter {name}"));
            match name.as_str() {
                "created" => out.created = Some(value.as_int().ok_or_else(wrong)?),
                "expires" => out.expires = Some(value.as_int().ok_or_else(wrong)?),
                "keyid" => out.keyid = Some(value.as_str().ok_or_else(wrong)?.to_string()),
                "alg" => out.alg = Some(value.as_str().ok_or_else(wrong)?.to_string()),
                "nonce" => out.nonce = Some(value.as_str().ok_or_else(wrong)?.to_string()),
                "tag" => out.tag = Some(value.as_str().ok_or_else(wrong)?.to_string()),
                _ => {}
            }
        }
        Ok(out)
    }
}

/// One signature taken from a request's `Signature-Input` and `Signature` fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSignature {
    /// Its label, e.g. `sig1`.
    pub label: String,
    /// Its parameters.
    pub params: SignatureParams,
    /// The signature bytes.
    pub signature: Vec<u8>,
}

/// Parses both fields and returns the first signature of `Signature-Input` that has a value.
pub fn parse_fields(signature_input: &str, signature: &str) -> Result<ParsedSignature, SignatureError> {
    if signature_input.len() > MAX_FIELD_LEN || signature.len() > MAX_FIELD_LEN {
        return Err(SignatureError::Malformed("signature field too long".into()));
    }
    let inputs = Parser::parse_dictionary(signature_input.as_bytes())
        .map_err(|e| SignatureError::Malformed(format!("Signature-Input: {e}")))?;
    let values = Parser::parse_dictionary(signature.as_bytes())
        .map_err(|e| SignatureError::Malformed(format!("Signature: {e}")))?;
    for (label, entry) in &inputs {
        let Some(value) = values.get(label) else {
            continue;
        };
        let ListEntry::InnerList(list) = entry else {
            return Err(SignatureError::Malformed(format!("{label} is not an inner list")));
        };
        let ListEntry::Item(Item { bare_item: BareItem::ByteSeq(bytes), .. }) = value else {
            return Err(SignatureError::Malformed(format!("{label} is not a byte sequence")));
        };
        return Ok(ParsedSignature {
            label: label.clone(),
            params: SignatureParams::from_inner_list(list)?,
            signature: bytes.clone(),
        });
    }
    Err(SignatureError::Malformed("no label present in both Signature-Input and Signature".into()))
}

/// Builds the signature base of RFC 9421 §2.5 for `params` over `request`.
pub fn signature_base(params: &SignatureParams, request: &RequestParts<'_>) -> Result<String, SignatureError> {
    let mut base = String::new();
    for component in &params.components {
        let value = component.value(request)?;
        if value.contains(['\n', '\r']) {
            return Err(SignatureError::Malformed("newline in a covered value".into()));
        }
        base.push_str(&format!("\"{}\": {value}\n", component.name()));
    }
    base.push_str(&format!("\"@signature-params\": {}", params.serialize()?));
    Ok(base)
}

/// Formats the `Signature-Input` and `Signature` field values for one labelled signature.
pub fn format_fields(
    label: &str,
    params: &SignatureParams,
    signature: &[u8],
) -> Result<(String, String), SignatureError> {
    let value: List = vec![ListEntry::Item(Item::new(BareItem::ByteSeq(signature.to_vec())))];
    let value =
        value.serialize_value().map_err(|e| SignatureError::Malformed(format!("cannot serialise signature: {e}")))?;
    Ok((format!("{label}={}", params.serialize()?), format!("{label}={value}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderValue, Method};
    use proptest::prelude::*;

    fn rfc_request_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("example.com"));
        headers.insert("date", HeaderValue::from_static("Tue, 20 Apr 2021 02:07:55 GMT"));
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert(
            "content-digest",
            HeaderValue::from_static(
                "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
            ),
        );
        headers.insert("content-length", HeaderValue::from_static("18"));
        headers
    }

    #[test]
    fn signature_base_matches_rfc9421_b23() {
        // RFC 9421 Appendix B.2.3 (full coverage): the signature base, byte for byte.
        let headers = rfc_request_headers();
        let request = RequestParts {
            method: &Method::POST,
            scheme: "https",
            authority: "example.com",
            path_and_query: "/foo?param=Value&Pet=dog",
            headers: &headers,
        };
        let parsed = parse_fields(
            r#"sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss""#,
            "sig-b23=:AAAA:",
        )
        .expect("parse");
        assert_eq!(parsed.label, "sig-b23");
        assert_eq!(parsed.params.created, Some(1618884473));
        let expected = concat!(
            "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n",
            "\"@method\": POST\n",
            "\"@path\": /foo\n",
            "\"@query\": ?param=Value&Pet=dog\n",
            "\"@authority\": example.com\n",
            "\"content-type\": application/json\n",
            "\"content-digest\": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:\n",
            "\"content-length\": 18\n",
            "\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@query\" \"@authority\" \"content-type\" \"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-rsa-pss\"",
        );
        assert_eq!(signature_base(&parsed.params, &request).expect("base"), expected);
    }

    #[test]
    fn derived_components() {
        let headers = HeaderMap::new();
        let request = RequestParts {
            method: &Method::GET,
            scheme: "https",
            authority: "Example.COM:8443",
            path_and_query: "/a/b",
            headers: &headers,
        };
        let params = SignatureParams {
            components: vec![
                Component::TargetUri,
                Component::Authority,
                Component::Path,
                Component::Query,
                Component::RequestTarget,
            ],
            ..SignatureParams::default()
        };
        assert_eq!(
            signature_base(&params, &request).expect("base"),
            "\"@target-uri\": https://example.com:8443/a/b\n\"@authority\": example.com:8443\n\"@path\": /a/b\n\"@query\": ?\n\"@request-target\": /a/b\n\"@signature-params\": (\"@target-uri\" \"@authority\" \"@path\" \"@query\" \"@request-target\")"
        );
    }

    #[test]
    fn rejects_bad_fields() {
        for (input, sig) in [
            ("sig1=(\"@method\")", "sig2=:AAAA:"),
            ("sig1=\"@method\"", "sig1=:AAAA:"),
            ("sig1=(\"@method\")", "sig1=\"AAAA\""),
            ("sig1=(\"@status\")", "sig1=:AAAA:"),
            ("sig1=(\"@method\" \"@method\")", "sig1=:AAAA:"),
            ("sig1=(\"Date\")", "sig1=:AAAA:"),
            ("sig1=(\"content-digest\";sf)", "sig1=:AAAA:"),
            ("sig1=(\"@method\");created=\"x\"", "sig1=:AAAA:"),
            ("sig1=(", "sig1=:AAAA:"),
        ] {
            assert!(matches!(parse_fields(input, sig), Err(SignatureError::Malformed(_))), "{input} {sig}");
        }
    }

    fn component_strategy() -> impl Strategy<Value = Component> {
        prop_oneof![
            Just(Component::Method),
            Just(Component::TargetUri),
            Just(Component::Authority),
            Just(Component::Path),
            Just(Component::Query),
            Just(Component::RequestTarget),
            "[a-z][a-z0-9-]{0,15}".prop_map(Component::Field),
        ]
    }

    proptest! {
        #[test]
        fn parser_never_panics(input in ".{0,200}", sig in ".{0,100}") {
            let _ = parse_fields(&input, &sig);
        }

        #[test]
        fn parser_never_panics_near_valid(inner in "[ -~]{0,80}", params in "[ -~]{0,40}") {
            let _ = parse_fields(&format!("sig1=({inner});{params}"), "sig1=:AAAA:");
        }

        #[test]
        fn format_then_parse_round_trips(
            components in proptest::collection::btree_set(component_strategy().prop_map(|c| c.name().to_string()), 0..6),
            created in proptest::option::of(0i64..4_000_000_000),
            keyid in proptest::option::of("[ -~]{0,30}"),
            nonce in proptest::option::of("[a-zA-Z0-9]{0,10}"),
            signature in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let components = components.iter().map(|n| Component::from_name(n)).collect::<Result<Vec<_>, _>>().expect("names");
            let params = SignatureParams {
                components, created, expires: created.map(|c| c + 60), keyid,
                alg: Some(ALG_RSA_V1_5_SHA256.into()), nonce, tag: None,
            };
            let (input, value) = format_fields("sig1", &params, &signature).expect("format");
            let parsed = parse_fields(&input, &value).expect("parse");
            prop_assert_eq!(parsed, ParsedSignature { label: "sig1".into(), params, signature });
        }
    }
}
