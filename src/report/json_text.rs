//! `inventory --format json` as text: byte for byte what pretty-printing the whole document as one
//! `serde_json::Value` gives (every object's keys sorted), without building that one value. The long lists
//! (findings, groups, diagnostics, the system's roots) are converted and rendered item by item in parallel,
//! and spliced into the rest. On a dense backend tree (15,000 findings, 19 MB of JSON) the one-value way took
//! as long as the whole project pass.

use rayon::prelude::*;
use serde::Serialize;

/// Two spaces per level, as `serde_json::to_string_pretty` indents.
const INDENT: &str = "  ";

/// A list rendered on its own, to take the place of its placeholder in the document.
pub struct List {
    /// The string standing in for the list in the document: starts with NUL, which no path, name or message
    /// of a report holds (a path cannot), so it matches nothing else.
    pub placeholder: &'static str,
    /// The depth of the object whose key holds the list (0: the top-level object).
    pub depth: usize,
    /// Each item, pretty-printed at the list's depth.
    text: Vec<String>,
}

impl List {
    /// Convert and render the items in parallel (each item's keys sorted, as in a `serde_json::Value`).
    pub fn new<T: Serialize + Sync>(
        placeholder: &'static str,
        depth: usize,
        items: &[T],
    ) -> Result<List, serde_json::Error> {
        let shift = format!("\n{}", INDENT.repeat(depth + 2));
        let text = retry_audit_scan::pool().install(|| {
            items
                .par_iter()
                // A string's newlines are escaped: every newline of an item's text is a line break of its layout.
                .map(|item| {
                    let value = serde_json::to_value(item)?;
                    serde_json::to_string_pretty(&value).map(|s| s.replace('\n', &shift))
                })
                .collect::<Result<Vec<String>, _>>()
        })?;
        Ok(List { placeholder, depth, text })
    }

    fn write_to(&self, out: &mut String) {
        if self.text.is_empty() {
            out.push_str("[]");
            return;
        }
        let item_indent = INDENT.repeat(self.depth + 2);
        out.push('[');
        for (i, t) in self.text.iter().enumerate() {
            out.push_str(if i == 0 { "\n" } else { ",\n" });
            out.push_str(&item_indent);
            out.push_str(t);
        }
        out.push('\n');
        out.push_str(&INDENT.repeat(self.depth + 1));
        out.push(']');
    }

    fn len(&self) -> usize {
        self.text.iter().map(|t| t.len() + self.depth * 2 + 6).sum::<usize>() + 8
    }
}

/// Pretty-print `doc`, whose lists hold their placeholders, with the lists in their places.
pub fn render(doc: &serde_json::Value, lists: &[List]) -> Result<String, serde_json::Error> {
    let skeleton = serde_json::to_string_pretty(doc)?;
    let mut at: Vec<(usize, usize, &List)> = Vec::new();
    for list in lists {
        let quoted = serde_json::to_string(list.placeholder)?;
        if let Some(i) = skeleton.find(&quoted) {
            at.push((i, quoted.len(), list));
        }
    }
    at.sort_by_key(|&(i, _, _)| i);
    let mut out = String::with_capacity(skeleton.len() + lists.iter().map(List::len).sum::<usize>());
    let mut from = 0;
    for (i, n, list) in at {
        out.push_str(&skeleton[from..i]);
        list.write_to(&mut out);
        from = i + n;
    }
    out.push_str(&skeleton[from..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spliced_lists_print_as_the_whole_value_does() {
        let items = vec![json!({"b": 1, "a": [1, {"z": "x\ny", "y": []}]}), json!({}), json!([])];
        let roots = vec![json!({"k": {"j": 2}})];
        let whole = json!({"z": 1, "items": items, "sys": {"roots": roots, "n": 2}, "empty": []});
        let doc = json!({"z": 1, "items": "\u{0}items", "sys": {"roots": "\u{0}roots", "n": 2}, "empty": "\u{0}empty"});
        let lists = [
            List::new("\u{0}items", 0, &items).unwrap(),
            List::new("\u{0}roots", 1, &roots).unwrap(),
            List::new::<serde_json::Value>("\u{0}empty", 0, &[]).unwrap(),
        ];
        assert_eq!(render(&doc, &lists).unwrap(), serde_json::to_string_pretty(&whole).unwrap());
    }
}
