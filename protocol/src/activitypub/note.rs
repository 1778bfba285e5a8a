//! Comments as `Note`s: the object Shoal sends for a comment (PeerTube's shape, text as
//! markdown) and the parsed form of a `Note` from Mastodon or PeerTube (HTML reduced to
//! plain text, as PeerTube does before showing it).

use super::json::{id_of, ids_of, str_field, type_of};
use super::origin::{host_of, require_host};
use super::{ApError, PUBLIC};
use serde_json::{json, Value};

/// A local comment's `Note`.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteObject {
    /// `{base}/videos/watch/{uuid}/comments/{id}`.
    pub id: String,
    pub text: String,
    /// The video's id for a thread, the parent comment's id for a reply.
    pub in_reply_to: String,
    /// The author's actor id.
    pub attributed_to: String,
    pub published: String,
    pub updated: String,
    /// Extra recipients in `cc` (the author's followers, the video's channel...).
    pub cc: Vec<String>,
    /// PeerTube 8's `replyApproval`: the id of the video owner's `ApproveReply`.
    pub reply_approval: Option<String>,
}

impl NoteObject {
    /// The object, without `@context`.
    pub fn to_object(&self) -> Value {
        json!({
            "type": "Note",
            "id": self.id,
            "content": self.text,
            "mediaType": "text/markdown",
            "inReplyTo": self.in_reply_to,
            "updated": self.updated,
            "published": self.published,
            "url": self.id,
            "attributedTo": self.attributed_to,
            "to": [PUBLIC],
            "cc": self.cc,
            "tag": [],
            "replyApproval": self.reply_approval,
        })
    }
}

/// A `Note` from another server.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteNote {
    pub id: String,
    pub attributed_to: String,
    pub in_reply_to: String,
    /// Plain text.
    pub text: String,
    pub published: Option<String>,
}

impl RemoteNote {
    /// Parses a `Note` that replies to something; its author must be on its host.
    pub fn parse(doc: &Value) -> Result<RemoteNote, ApError> {
        const WHAT: &str = "note";
        if type_of(doc) != Some("Note") {
            return Err(ApError::Malformed { what: WHAT, reason: "type is not Note".into() });
        }
        let id = str_field(doc, "id").ok_or(ApError::Missing { what: WHAT, field: "id" })?;
        let host = host_of(id).ok_or_else(|| ApError::InvalidUrl(id.to_string()))?;
        let attributed_to = ids_of(doc.get("attributedTo"))
            .into_iter()
            .next()
            .ok_or(ApError::Missing { what: WHAT, field: "attributedTo" })?;
        require_host("note author", &attributed_to, &host)?;
        let in_reply_to =
            doc.get("inReplyTo").and_then(id_of).ok_or(ApError::Missing { what: WHAT, field: "inReplyTo" })?;
        let content = str_field(doc, "content").unwrap_or_default();
        let text = if str_field(doc, "mediaType") == Some("text/markdown") {
            content.to_string()
        } else {
            html_to_text(content)
        };
        Ok(RemoteNote {
            id: id.to_string(),
            attributed_to,
            in_reply_to: in_reply_to.to_string(),
            text: text.trim().to_string(),
            published: str_field(doc, "published").map(str::to_string),
        })
    }
}

/// Plain text of an HTML fragment: tags dropped (`<br>` and paragraph ends become line
/// breaks), the common entities decoded. Enough for Mastodon's status HTML; comments
/// are shown as text, never as HTML.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + end].trim().to_ascii_lowercase();
        if tag.starts_with("br") || tag == "/p" {
            out.push('\n');
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    decode_entities(&out)
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let end = after.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| match &after[1..e] {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" | "#39" => Some('\''),
            "nbsp" => Some(' '),
            num if num.starts_with('#') => num[1..].parse::<u32>().ok().and_then(char::from_u32),
            _ => None,
        });
        match (decoded, end) {
            (Some(c), Some(e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            _ => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mastodon_reply() {
        let doc = json!({
            "id": "https://masto.example/users/alice/statuses/1",
            "type": "Note",
            "attributedTo": "https://masto.example/users/alice",
            "inReplyTo": "https://a.example/videos/watch/u",
            "content": "<p><span class=\"h-card\"><a href=\"https://a.example/video-channels/c\" class=\"u-url mention\">@<span>c</span></a></span> nice &amp; short</p>",
            "to": [PUBLIC],
        });
        let note = RemoteNote::parse(&doc).unwrap();
        assert_eq!(note.text, "@c nice & short");
        assert_eq!(note.in_reply_to, "https://a.example/videos/watch/u");
    }

    #[test]
    fn refuses_foreign_author() {
        let doc = json!({
            "id": "https://masto.example/s/1", "type": "Note",
            "attributedTo": "https://other.example/users/x", "inReplyTo": "https://a/x", "content": "hi",
        });
        assert!(RemoteNote::parse(&doc).is_err());
    }

    #[test]
    fn entities() {
        assert_eq!(html_to_text("a<br>b&lt;c&gt; &#233; &bogus; &"), "a\nb<c> é &bogus; &");
        assert_eq!(html_to_text("<unclosed"), "");
    }
}
