//! Byte offset -> (line, column) lookup, built once per file.

#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    /// Byte offset of the start of every line.
    starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        let b = text.as_bytes();
        if memchr::memchr(b'\r', b).is_none() {
            starts.extend(memchr::memchr_iter(b'\n', b).map(|i| i as u32 + 1));
        } else {
            // Python ends a line at `\n`, `\r\n` and a lone `\r`.
            for i in memchr::memchr2_iter(b'\n', b'\r', b) {
                if b[i] == b'\n' || b.get(i + 1) != Some(&b'\n') {
                    starts.push(i as u32 + 1);
                }
            }
        }
        LineIndex { starts }
    }

    /// 1-based line of a byte offset.
    pub fn line(&self, offset: u32) -> u32 {
        match self.starts.binary_search(&offset) {
            Ok(i) => i as u32 + 1,
            Err(i) => i as u32,
        }
    }

    /// 1-based column (in characters) of a byte offset.
    pub fn column(&self, text: &str, offset: u32) -> u32 {
        let start = self.line_start(self.line(offset));
        let off = (offset as usize).min(text.len());
        text.get(start as usize..off).map(|s| s.chars().count() as u32 + 1).unwrap_or(1)
    }

    /// Byte offset where 1-based `line` starts.
    pub fn line_start(&self, line: u32) -> u32 {
        self.starts[(line.max(1) as usize - 1).min(self.starts.len() - 1)]
    }

    pub fn line_count(&self) -> u32 {
        self.starts.len() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let text = "ab\ncdé\nx";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line(0), 1);
        assert_eq!(idx.line(3), 2);
        assert_eq!(idx.line(9), 3);
        assert_eq!(idx.column(text, 8), 1);
        assert_eq!(idx.column(text, 7), 4);
    }

    #[test]
    fn lone_carriage_returns_end_lines_as_python_reads_them() {
        let text = "a\rb\r\nc\nd";
        let idx = LineIndex::new(text);
        assert_eq!([0, 2, 5, 7].map(|o| idx.line(o)), [1, 2, 3, 4]);
    }
}
