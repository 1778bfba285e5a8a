//! `OrderedCollection`s and their pages, as PeerTube serves outboxes, followers,
//! following, likes and comments: the collection names its size and first page; a page
//! lists items and links the next.

use super::context;
use serde_json::{json, Value};

/// Items per collection page.
pub const PAGE_SIZE: usize = 20;

/// The collection document at `id` (`totalItems` and a link to page 1).
pub fn collection(id: &str, total_items: u64) -> Value {
    context::with_context(json!({
        "id": id,
        "type": "OrderedCollection",
        "totalItems": total_items,
        "first": format!("{id}?page=1"),
    }))
}

/// Page `page` (1-based) of the collection at `id`; `has_next` adds the `next` link.
pub fn page(id: &str, page: usize, total_items: u64, items: Vec<Value>, has_next: bool) -> Value {
    let mut doc = json!({
        "id": format!("{id}?page={page}"),
        "type": "OrderedCollectionPage",
        "partOf": id,
        "totalItems": total_items,
        "orderedItems": items,
    });
    if has_next {
        if let Value::Object(map) = &mut doc {
            map.insert("next".into(), json!(format!("{id}?page={}", page + 1)));
        }
    }
    context::with_context(doc)
}
