//! `inventory --format json` as text: byte for byte what pretty-printing the whole document as one
//! `serde_json::Value` gives (every object's keys sorted), without building that one value or that one text.
//! The long lists (findings, groups, diagnostics, the system's roots) are converted and rendered item by item
//! in parallel, a chunk at a time, and written in their places in the rest. On a dense backend tree (15,000
//! findings, 19 MB of JSON) the one-value way took as long as the whole project pass, and held three times the
//! output's size at the end of the run.

use rayon::prelude::*;
use serde::Serialize;
use std::io::Write;

/// Two spaces per level, as `serde_json::to_string_pretty` indents.
const INDENT: &str = "  ";

/// A list written on its own, in the place of its placeholder in the document.
pub struct List<'a, T> {
    /// The string standing in for the list in the document: starts with NUL, which no path, name or message
    /// of a report holds (a path cannot), so it matches nothing else.
    pub placeholder: &'static str,
    /// The depth of the object whose key holds the list (0: the top-level object).
    pub depth: usize,
    pub items: &'a [T],
}

/// Items rendered at once: enough to keep both cores busy, few enough that the text of a whole list is never
/// held (a dense tree's findings are 19 MB of JSON).
const CHUNK: usize = 1024;

/// A list of any item type, as `write` takes them.
pub trait Spliced: Sync {
    fn placeholder(&self) -> &'static str;
    fn write_list(&self, out: &mut dyn Write) -> std::io::Result<()>;
}

impl<T: Serialize + Sync> Spliced for List<'_, T> {
    fn placeholder(&self) -> &'static str {
        self.placeholder
    }

    /// Convert and render the items a chunk at a time, each chunk in parallel (each item's keys sorted, as
    /// in a `serde_json::Value`), and write them.
    fn write_list(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.items.is_empty() {
            return out.write_all(b"[]");
        }
        let item_indent = INDENT.repeat(self.depth + 2);
        let shift = format!("\n{item_indent}");
        out.write_all(b"[")?;
        for (c, chunk) in self.items.chunks(CHUNK).enumerate() {
            let text = retry_audit_scan::pool().install(|| {
                chunk
                    .par_iter()
                    // A string's newlines are escaped: every newline of an item's text is a line break of its
                    // layout.
                    .map(|item| {
                        let value = serde_json::to_value(item)?;
                        serde_json::to_string_pretty(&value).map(|s| s.replace('\n', &shift))
                    })
                    .collect::<Result<Vec<String>, serde_json::Error>>()
            })?;
            for (i, t) in text.iter().enumerate() {
                out.write_all(if c == 0 && i == 0 { b"\n" } else { b",\n" })?;
                out.write_all(item_indent.as_bytes())?;
                out.write_all(t.as_bytes())?;
            }
        }
        out.write_all(b"\n")?;
        out.write_all(INDENT.repeat(self.depth + 1).as_bytes())?;
        out.write_all(b"]")
    }
}

/// Write `doc` pretty-printed, whose lists hold their placeholders, with the lists in their places.
pub fn write(doc: &serde_json::Value, lists: &[&dyn Spliced], out: &mut dyn Write) -> std::io::Result<()> {
    let skeleton = serde_json::to_string_pretty(doc)?;
    let mut at: Vec<(usize, usize, &dyn Spliced)> = Vec::new();
    for &list in lists {
        let quoted = serde_json::to_string(list.placeholder())?;
        if let Some(i) = skeleton.find(&quoted) {
            at.push((i, quoted.len(), list));
        }
    }
    at.sort_by_key(|&(i, _, _)| i);
    let mut from = 0;
    for (i, n, list) in at {
        out.write_all(&skeleton.as_bytes()[from..i])?;
        list.write_list(out)?;
        from = i + n;
    }
    out.write_all(&skeleton.as_bytes()[from..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spliced_lists_print_as_the_whole_value_does() {
        let items: Vec<serde_json::Value> = (0..2500)
            .map(|i| json!({"b": i, "a": [1, {"z": "x\ny", "y": []}]}))
            .chain([json!({}), json!([])])
            .collect();
        let roots = vec![json!({"k": {"j": 2}})];
        let whole = json!({"z": 1, "items": items, "sys": {"roots": roots, "n": 2}, "empty": []});
        let doc = json!({"z": 1, "items": "\u{0}items", "sys": {"roots": "\u{0}roots", "n": 2}, "empty": "\u{0}empty"});
        let none: [serde_json::Value; 0] = [];
        let lists = (
            List { placeholder: "\u{0}items", depth: 0, items: &items },
            List { placeholder: "\u{0}roots", depth: 1, items: &roots },
            List { placeholder: "\u{0}empty", depth: 0, items: &none },
        );
        let mut out = Vec::new();
        write(&doc, &[&lists.0, &lists.1, &lists.2], &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string_pretty(&whole).unwrap());
    }
}
