//! The scanner: one pass over the tokens, tracking blocks and recording what the rule conditions need.

use super::*;

pub(super) struct Scanner<'s, 'w> {
    pub(super) src: &'s str,
    pub(super) b: &'s [u8],
    pub(super) i: usize,
    pub(super) library_roots: &'w [String],
    pub(super) library_names: &'w [String],
    /// Bit `n` set when some library name is `n` bytes long.
    pub(super) library_name_lens: u64,
    pub(super) plan_words: &'w [String],
    pub(super) depth: u32,
    pub(super) blocks: Vec<Block<'s>>,
    /// Open blocks per `BlockKind` (indexed by `kind as usize`).
    pub(super) open: [u32; 4],
    pub(super) line_indent: Indent,
    /// Next code token starts a statement.
    pub(super) stmt_start: bool,
    /// The current logical line is at the body indentation of the innermost (handler) block.
    pub(super) handler_body_line: bool,
    pub(super) in_import: bool,
    /// Byte ranges of import statements (keyword to end of statement), for the facts of skipped files.
    pub(super) import_spans: Vec<std::ops::Range<usize>>,
    /// Names of top-level `def`s and `class`es, for the facts of skipped files.
    pub(super) top_names: Vec<&'s str>,
    /// In a def header (`def` .. colon at depth 0).
    pub(super) in_header: bool,
    /// The next identifier is a def's / class's name.
    pub(super) want_def_name: bool,
    pub(super) want_class_name: bool,
    /// In a `for` header (`for` .. colon at depth 0), and whether it qualifies so far.
    pub(super) in_for_header: bool,
    pub(super) for_header_qualifies: bool,
    pub(super) clause: Clause,
    /// Previous code token: 0 none, b'.' dot, b'i' identifier, b')' closing bracket, b'o' other.
    pub(super) prev: u8,
    /// Start of the current dotted chain `a.b.c` (byte offset), when the previous tokens form one.
    pub(super) chain_start: Option<usize>,
    /// Facts of the current top-level chunk, and of the file's finished chunks together.
    pub(super) facts: Facts,
    pub(super) file_facts: Facts,
    /// Identifiers without a gate word skip every name list.
    pub(super) gate: &'w TrigramGate,
    /// Finished pieces with their facts, the current piece, and what they index into (see `chunks.rs`).
    pub(super) chunks: Vec<(Chunk, Facts)>,
    pub(super) chunk: Chunk,
    pub(super) calls: Vec<Call>,
    pub(super) defines: Vec<(&'s str, Scope)>,
    /// Per top-level class: its name lets a retrying method make it a retry class (kept whole).
    pub(super) class_named: Vec<bool>,
    /// The current top-level statement is a class; the indentation of its body once seen.
    pub(super) in_top_class: bool,
    pub(super) class_body: Option<Indent>,
    /// The last top-level line / class member line was a decorator: the next one continues its piece.
    pub(super) decorator_pending: bool,
    pub(super) member_decorator_pending: bool,
    /// `groups` of the gated identifiers seen so far: a file spells the same few names again and again, and the
    /// word matcher costs more than a lookup.
    pub(super) group_cache: rustc_hash::FxHashMap<&'s str, u32>,
}

/// Distinct gated names a file's `group_cache` holds before it grows (files spell a few dozen).
const GROUP_CACHE_ROOM: usize = 64;

/// How many spaces (b' ') stand at `b[i..]`: eight bytes at a time, then the rest byte by byte.
pub(super) fn space_run(b: &[u8], i: usize) -> usize {
    const SPACES: u64 = u64::from_le_bytes([b' '; 8]);
    let mut k = i;
    while let Some(chunk) = b.get(k..k + 8) {
        let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes")) ^ SPACES;
        if x != 0 {
            // The lowest differing byte ends the run (little-endian: the first byte is the lowest).
            return k - i + (x.trailing_zeros() / 8) as usize;
        }
        k += 8;
    }
    while b.get(k) == Some(&b' ') {
        k += 1;
    }
    k - i
}

impl<'s, 'w> Scanner<'s, 'w> {
    pub(super) fn new(src: &'s str, words: &'w ImportWords) -> Self {
        Scanner {
            gate: &words.gate,
            src,
            b: src.as_bytes(),
            i: 0,
            library_roots: &words.library_roots,
            library_names: &words.library_names,
            library_name_lens: words.library_names.iter().filter(|n| n.len() < 64).fold(0, |m, n| m | 1 << n.len()),
            plan_words: &words.plan,
            depth: 0,
            blocks: Vec::new(),
            open: [0; 4],
            line_indent: Indent { col8: 0, col1: 0 },
            stmt_start: true,
            handler_body_line: false,
            in_import: false,
            import_spans: Vec::new(),
            top_names: Vec::new(),
            in_header: false,
            want_def_name: false,
            want_class_name: false,
            in_for_header: false,
            for_header_qualifies: false,
            clause: Clause::default(),
            prev: 0,
            chain_start: None,
            facts: Facts::default(),
            file_facts: Facts::default(),
            chunks: Vec::new(),
            chunk: Chunk::new(0, 0, 0),
            calls: Vec::new(),
            defines: Vec::new(),
            class_named: Vec::new(),
            in_top_class: false,
            class_body: None,
            decorator_pending: false,
            member_decorator_pending: false,
            // A file spells a few dozen distinct gated names: room for them up front, not four rehashes.
            group_cache: rustc_hash::FxHashMap::with_capacity_and_hasher(GROUP_CACHE_ROOM, Default::default()),
        }
    }

    /// After `run`: skip the file, or parse it whole, or parse it with the pieces no condition needs blanked.
    pub(super) fn verdict(&mut self) -> TokenVerdict {
        let file = self.file_facts;
        if file.whole_file() {
            return TokenVerdict::Parse(vec![]);
        }
        let src = self.src;
        let mut half_open_memo = None;
        let mut half_open = || *half_open_memo.get_or_insert_with(|| half_open_text(src));
        // Class conditions over each top-level class's pieces together.
        let mut class_facts = vec![Facts::default(); self.class_named.len()];
        for (c, f) in &self.chunks {
            if let Some(g) = c.class {
                class_facts[g] = class_facts[g].or(f);
            }
        }
        let class_seed: Vec<bool> = class_facts.iter().map(|f| f.class_finding(&mut half_open)).collect();
        let mut any = class_seed.iter().any(|&b| b);
        for (c, f) in &mut self.chunks {
            c.seed = f.local_finding(&file, &mut half_open) || c.class.is_some_and(|g| class_seed[g]);
            any |= c.seed;
        }
        if !any {
            return TokenVerdict::Skip;
        }
        let whole: Vec<bool> = class_seed.iter().zip(&self.class_named).map(|(a, b)| *a || *b).collect();
        let chunks: Vec<Chunk> = self.chunks.iter().map(|(c, _)| c.clone()).collect();
        TokenVerdict::Parse(crate::parse::chunks::skippable(self.src, &chunks, &self.calls, &self.defines, &whole))
    }

    /// The whole file will be parsed whatever follows (every fact only ever turns true): stop reading.
    pub(super) fn certain(&self) -> bool {
        let (a, b) = (&self.facts, &self.file_facts);
        a.import_word || b.import_word || ((a.library_root || b.library_root) && (a.library_name || b.library_name))
    }

    /// The first token of the logical line at `self.i`: a decorator, or `def`/`async` (a function), or `class`.
    pub(super) fn line_head(&self) -> (bool, bool, bool) {
        if self.peek(0) == b'@' {
            return (true, false, false);
        }
        let end = word_end(self.b, self.i).unwrap_or(self.i);
        let w = &self.src[self.i..end];
        (false, matches!(w, "def" | "async"), w == "class")
    }

    /// A logical line at indentation 0 starting at `start`: a new top-level piece, unless decorators precede.
    pub(super) fn top_level_line(&mut self, start: usize) {
        let (decorator, def, class) = self.line_head();
        if !self.decorator_pending {
            self.finish_chunk(start);
            self.in_top_class = false;
            self.class_body = None;
        }
        if decorator {
            self.chunk.piece = Piece::Def;
        } else if class {
            self.chunk.piece = Piece::ClassPart;
            self.chunk.class = Some(self.class_named.len());
            self.class_named.push(false);
            self.in_top_class = true;
        } else if def {
            self.chunk.piece = Piece::Def;
        } else {
            self.chunk.piece = Piece::Other;
        }
        self.decorator_pending = decorator;
    }

    /// A logical line at the body indentation of a top-level class: a new member piece, unless decorators precede.
    pub(super) fn member_line(&mut self, start: usize) {
        let (decorator, def, _) = self.line_head();
        if !self.member_decorator_pending {
            let class = self.chunk.class;
            self.finish_chunk(start);
            self.chunk.class = class;
        }
        self.chunk.piece = if decorator || def { Piece::Method } else { Piece::ClassPart };
        self.member_decorator_pending = decorator;
    }

    /// Close the current piece; the next starts at `next_start`.
    pub(super) fn finish_chunk(&mut self, next_start: usize) {
        let facts = std::mem::take(&mut self.facts);
        self.file_facts = self.file_facts.or(&facts);
        let mut chunk =
            std::mem::replace(&mut self.chunk, Chunk::new(next_start, self.calls.len(), self.defines.len()));
        chunk.calls.end = self.calls.len();
        chunk.defines.end = self.defines.len();
        self.chunks.push((chunk, facts));
    }

    /// The previous token ends an operand (identifier or keyword, number, string, closing bracket).
    pub(super) fn after_operand(&self) -> bool {
        matches!(self.prev, b'i' | b'n' | b's' | b')')
    }

    /// After an identifier that ends at `self.i`: it may be an assignment or annotation target (`x = `,
    /// `self.x: int`), i.e. followed by `=` (not `==`) or `:` (not `:=`) at depth 0, or by a continuation.
    pub(super) fn may_be_target(&self) -> bool {
        if self.depth != 0 {
            return false;
        }
        let mut k = self.i;
        while matches!(self.b.get(k), Some(b' ' | b'\t' | b'\x0c')) {
            k += 1;
        }
        match (self.b.get(k), self.b.get(k + 1)) {
            (Some(b'='), Some(b'=')) | (Some(b':'), Some(b'=')) => false,
            (Some(b'=' | b':' | b'\\'), _) => true,
            _ => false,
        }
    }

    /// Inside brackets, the identifier is followed by `=` (not `==`): a keyword argument (or a lambda's or a
    /// nested def's default, which reads the same).
    pub(super) fn keyword_argument(&self) -> bool {
        let mut k = self.i;
        while matches!(self.b.get(k), Some(b' ' | b'\t' | b'\x0c')) {
            k += 1;
        }
        self.b.get(k) == Some(&b'=') && self.b.get(k + 1) != Some(&b'=')
    }

    pub(super) fn peek(&self, k: usize) -> u8 {
        self.b.get(self.i + k).copied().unwrap_or(0)
    }

    pub(super) fn run(&mut self) -> Result<(), Unsure> {
        if self.src.starts_with('\u{feff}') {
            self.i = 3;
        }
        let mut at_line_start = true;
        while self.i < self.b.len() {
            if at_line_start {
                if self.certain() {
                    self.finish_chunk(self.b.len());
                    return Ok(());
                }
                let line_start = self.i;
                // Indentation of a physical line; blank and comment-only lines do not start a logical line.
                let (mut col8, mut col1) = (0u32, 0u32);
                loop {
                    // Indentation is mostly spaces: count a run of them eight bytes at a time.
                    let n = space_run(self.b, self.i);
                    col8 += n as u32;
                    col1 += n as u32;
                    self.i += n;
                    match self.b.get(self.i) {
                        Some(b'\t') => {
                            col8 = (col8 / 8 + 1) * 8;
                            col1 += 1;
                        }
                        Some(b'\x0c') => {
                            col8 = 0;
                            col1 = 0;
                        }
                        _ => break,
                    }
                    self.i += 1;
                }
                match self.peek(0) {
                    0 => break,
                    b'#' => {
                        self.skip_comment();
                        continue;
                    }
                    b'\n' | b'\r' => {
                        self.skip_newline();
                        continue;
                    }
                    b'\\' => return Err(Unsure),
                    _ => {
                        at_line_start = false;
                        self.start_logical_line(Indent { col8, col1 }, line_start)?;
                    }
                }
            }
            let c = self.b[self.i];
            // Identifiers and single spaces are most tokens: test them before the table dispatch.
            if c == b' ' && self.peek(1) != b' ' {
                self.i += 1;
                continue;
            }
            match c {
                b' ' | b'\t' | b'\x0c' => {
                    self.i += 1;
                    self.i += space_run(self.b, self.i);
                }
                b'#' => self.skip_comment(),
                b'\n' | b'\r' => {
                    self.skip_newline();
                    if self.depth == 0 {
                        self.end_statement();
                        at_line_start = true;
                    }
                }
                b'\\' => {
                    self.i += 1;
                    match self.peek(0) {
                        b'\n' | b'\r' => self.skip_newline(),
                        _ => return Err(Unsure),
                    }
                }
                b'(' | b'[' | b'{' => {
                    self.depth += 1;
                    self.i += 1;
                    self.punct(b'(');
                }
                b')' | b']' | b'}' => {
                    if self.depth == 0 {
                        return Err(Unsure);
                    }
                    self.depth -= 1;
                    self.i += 1;
                    self.punct(b')');
                }
                b'"' | b'\'' => {
                    self.i = string(self.b, self.i, b"", &mut |_| {}, 0)?;
                    self.punct(b's');
                }
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                    let start = self.i;
                    let (end, gated) = self.gate.scan(self.b, start);
                    if self.b.get(end).is_some_and(|&c| c >= 0x80) {
                        return Err(Unsure); // non-ASCII identifier (NFKC-normalised by the parser)
                    }
                    let w = &self.src[start..end];
                    if matches!(self.b.get(end), Some(b'"' | b'\'')) && is_string_prefix(w) {
                        let mut words: Vec<(usize, usize)> = Vec::new();
                        self.i = string(self.b, end, w.as_bytes(), &mut |r| words.push(r), 0)?;
                        for (s, e) in words {
                            if s == e {
                                self.fstring_op(s);
                            } else {
                                if next_non_space(self.b, e) == b'(' {
                                    self.calls.push(Call { start: s as u32, end: e as u32, scope: Scope::Either });
                                }
                                self.fstring_word(s, e);
                            }
                        }
                        self.punct(b's');
                    } else {
                        self.i = end;
                        // `await` holds `wait` but is a keyword: no name list asks about it.
                        self.word(start, w, gated && w != "await");
                    }
                }
                b'0'..=b'9' => {
                    self.i = number_end(self.b, self.i);
                    self.punct(b'n');
                }
                b'.' if self.peek(1).is_ascii_digit() => {
                    self.i = number_end(self.b, self.i);
                    self.punct(b'n');
                }
                b'.' => {
                    self.i += 1;
                    self.punct(b'.');
                }
                b':' if self.depth == 0 && self.peek(1) != b'=' => {
                    self.i += 1;
                    self.colon();
                }
                b';' if self.depth == 0 => {
                    self.i += 1;
                    self.end_statement();
                    self.stmt_start = true;
                }
                b',' => {
                    self.i += 1;
                    self.punct(b',');
                }
                // Binary `**` / `*` follow an operand; `f(*args, **kwargs)`, `{**d}`, `def f(*, k)` do not.
                b'*' if self.peek(1) == b'*' => {
                    if self.after_operand() {
                        self.power();
                    }
                    self.i += 2;
                    self.punct(b'o');
                }
                b'*' => {
                    if self.after_operand() {
                        self.arith(Arith::Star);
                    }
                    self.i += 1;
                    self.punct(b'*');
                }
                b'<' if self.peek(1) == b'<' => {
                    self.power();
                    self.i += 2;
                    self.punct(b'o');
                }
                0x80.. => return Err(Unsure),
                _ => {
                    self.i += 1;
                    self.punct(b'o');
                }
            }
        }
        if self.depth != 0 {
            return Err(Unsure);
        }
        self.end_statement();
        while let Some(b) = self.pop() {
            self.close(b);
        }
        self.finish_chunk(self.b.len());
        Ok(())
    }

    pub(super) fn skip_comment(&mut self) {
        self.i = memchr::memchr2(b'\n', b'\r', &self.b[self.i..]).map_or(self.b.len(), |k| self.i + k);
    }

    pub(super) fn skip_newline(&mut self) {
        if self.peek(0) == b'\r' && self.peek(1) == b'\n' {
            self.i += 2;
        } else {
            self.i += 1;
        }
    }

    pub(super) fn start_logical_line(&mut self, indent: Indent, line_start: usize) -> Result<(), Unsure> {
        while let Some(top) = self.blocks.last() {
            if indent.closes(top.indent)? {
                let b = self.pop().expect("top");
                self.close(b);
            } else {
                break;
            }
        }
        if indent.col8 == 0 && indent.col1 == 0 {
            self.top_level_line(line_start);
        } else if self.in_top_class && *self.class_body.get_or_insert(indent) == indent {
            self.member_line(line_start);
        }
        self.line_indent = indent;
        self.handler_body_line = false;
        if let Some(top) = self.blocks.last_mut() {
            if top.kind == BlockKind::Handler {
                let body = *top.body_indent.get_or_insert(indent);
                self.handler_body_line = body == indent;
            }
        }
        self.stmt_start = true;
        self.prev = 0;
        self.chain_start = None;
        Ok(())
    }

    pub(super) fn close(&mut self, b: Block) {
        if b.kind == BlockKind::Handler && !b.control_flow && (!b.leaves || b.continues) {
            self.facts.loop_except_q |= b.in_qloop_in_def;
            self.facts.loop_except_any |= b.in_loop_in_def;
        }
        if b.kind == BlockKind::Handler && b.self_call {
            self.facts.recursion |= b.attempt;
            self.facts.recursion_if_sleep = true;
        }
    }

    /// End of a simple statement (newline at depth 0, `;`, end of file).
    pub(super) fn end_statement(&mut self) {
        if let Some(last) = self.import_spans.last_mut() {
            if last.end == usize::MAX {
                last.end = self.i.min(self.b.len());
            }
        }
        self.in_import = false;
        self.in_header = false;
        self.want_def_name = false;
        self.want_class_name = false;
        self.in_for_header = false;
        if self.clause.active {
            // A clause without its colon: be safe.
            self.finish_clause(false);
        }
    }

    pub(super) fn has(&self, kind: BlockKind) -> bool {
        self.open[kind as usize] > 0
    }

    pub(super) fn pop(&mut self) -> Option<Block<'s>> {
        let b = self.blocks.pop()?;
        self.open[b.kind as usize] -= 1;
        Some(b)
    }

    pub(super) fn push(&mut self, kind: BlockKind, name: &'s str) {
        let in_def = self.has(BlockKind::Def);
        let in_loop_in_def = in_def && self.has(BlockKind::Loop);
        let in_qloop_in_def = in_def && self.blocks.iter().any(|b| b.kind == BlockKind::Loop && b.qualifying);
        self.open[kind as usize] += 1;
        self.blocks.push(Block {
            kind,
            indent: self.line_indent,
            name,
            qualifying: false,
            in_qloop_in_def,
            in_loop_in_def,
            self_call: false,
            attempt: false,
            hinted: false,
            star: false,
            control_flow: false,
            leaves: false,
            continues: false,
            body_indent: None,
        });
    }

    pub(super) fn punct(&mut self, p: u8) {
        self.stmt_start = false;
        if self.clause.active {
            match p {
                b'.' | b',' | b'(' | b')' | b'*' => self.clause.tokens.push(p),
                _ => self.clause.plain = false,
            }
        }
        if p == b'.' {
            if self.prev != b'i' && self.prev != b')' {
                self.chain_start = None;
            }
        } else {
            self.chain_start = None;
        }
        self.prev = p;
    }

    pub(super) fn colon(&mut self) {
        self.stmt_start = false;
        self.prev = b'o';
        self.chain_start = None;
        self.in_header = false;
        if self.in_for_header {
            self.in_for_header = false;
            let q = self.for_header_qualifies;
            let in_def = self.has(BlockKind::Def);
            if let Some(top) = self.blocks.last_mut() {
                if top.kind == BlockKind::Loop {
                    top.qualifying = q;
                }
            }
            self.facts.loop_in_def_any |= in_def;
            self.facts.loop_in_def_q |= in_def && q;
        }
        if self.clause.active {
            self.finish_clause(true);
            // A same-line handler body: `except E: return x`.
            self.stmt_start = true;
            self.handler_body_line = true;
        }
    }

    pub(super) fn finish_clause(&mut self, complete: bool) {
        let clause = std::mem::take(&mut self.clause);
        let control_flow = complete && clause.plain && is_control_flow_clause(self.src, &clause);
        if let Some(top) = self.blocks.last_mut() {
            if top.kind == BlockKind::Handler {
                top.control_flow = control_flow;
            }
        }
    }

    /// `gated`: the identifier may contain a gate word (`TrigramGate`).
    pub(super) fn word(&mut self, start: usize, w: &'s str, gated: bool) {
        if !gated && self.plain_state() && !is_keyword_read(w) {
            // Fast path (most identifiers): no keyword, no listed name, no state that reads names.
            self.stmt_start = false;
            self.call(start, start + w.len());
            if self.has(BlockKind::Handler) && self.has(BlockKind::Def) {
                self.handler_ident(w, 0);
            }
            self.after_ident(start);
            return;
        }
        let first = self.stmt_start;
        self.stmt_start = false;
        if self.depth == 0 {
            match w {
                "for" => {
                    self.push(BlockKind::Loop, "");
                    self.in_for_header = true;
                    self.for_header_qualifies = false;
                }
                "while" => {
                    let in_def = self.has(BlockKind::Def);
                    self.facts.loop_in_def_any |= in_def;
                    self.facts.loop_in_def_q |= in_def;
                    self.push(BlockKind::Loop, "");
                    if let Some(top) = self.blocks.last_mut() {
                        top.qualifying = true;
                    }
                }
                "def" => {
                    self.chunk.has_def = true;
                    self.chunk.nested_def |= self.has(BlockKind::Def);
                    self.push(BlockKind::Def, "");
                    self.in_header = true;
                    self.want_def_name = true;
                }
                "class" => {
                    self.chunk.has_def = true;
                    self.facts.any_class = true;
                    self.push(BlockKind::Class, "");
                    self.want_class_name = true;
                }
                "try" => self.facts.try_in_def |= self.has(BlockKind::Def),
                "except" => {
                    self.push(BlockKind::Handler, "");
                    self.clause = Clause { active: true, plain: true, ..Default::default() };
                    self.handler_body_line = false;
                }
                "continue" if first => {
                    if let Some(h) = self.blocks.iter_mut().rev().find(|b| b.kind == BlockKind::Handler) {
                        h.continues = true;
                    }
                }
                "return" | "raise" | "break" if first && self.handler_body_line => {
                    if let Some(top) = self.blocks.last_mut() {
                        if top.kind == BlockKind::Handler {
                            top.leaves = true;
                        }
                    }
                }
                _ => {}
            }
        }
        if matches!(w, "import" | "from") {
            if first && self.depth == 0 && !self.in_import {
                self.import_spans.push(start..usize::MAX);
            }
            self.in_import = true;
        }
        if self.clause.active {
            if w == "as" {
                self.clause.tokens.push(b'a');
            } else if !matches!(w, "except") {
                self.clause.tokens.push(b'i');
                self.clause.names.push((start, start + w.len()));
            }
        }
        let mut is_def_name = false;
        if self.want_def_name && w != "def" {
            self.want_def_name = false;
            is_def_name = true;
            self.define(w);
            if let Some(top) = self.blocks.last_mut() {
                if top.kind == BlockKind::Def {
                    top.name = w;
                }
            }
            let g = self.groups(w);
            if g & G_DEF_HINT != 0 {
                self.hint_top();
            }
            // A decision method (`names::is_retry_method`) of a class.
            let in_class = self.has(BlockKind::Class);
            if in_class && g & G_CLASS_SUB != 0 && crate::detect::names::is_retry_method(w) {
                self.facts.class_word = true;
            }
            if crate::detect::names::is_model_piece_name(w) {
                self.facts.model_piece = true;
            }
            if g & G_FIB != 0 {
                // `backoff_calc`'s fibonacci table: a `fib` name with a delay hint and a return.
                self.facts.backoff = true;
            }
        }
        if self.want_class_name && w != "class" {
            self.want_class_name = false;
            if self.blocks.len() == 1 {
                self.top_names.push(w);
            }
            if self.blocks.len() == 1 && self.in_top_class && any_ci(w, RUNS_RETRIES_WORDS) {
                if let Some(named) = self.chunk.class.and_then(|g| self.class_named.get_mut(g)) {
                    *named = true;
                }
            }
            if crate::detect::names::is_model_piece_name(w) {
                self.facts.model_piece = true;
            }
            let g = self.groups(w);
            if g & G_BREAKER != 0 {
                self.facts.class_word = true;
            } else if g & G_CLASS_NAME != 0 {
                self.hint_top();
            }
        }
        // `.wait` on an owner whose dotted chain names a stop/shutdown event.
        if w == "wait" && self.prev == b'.' {
            // No chain: the owner is not a plain dotted name (`(self.stop).wait`, `evs[0].wait`): count it.
            let owner_ok = match self.chain_start {
                Some(cs) => any_ci(&self.src[cs..start], WAIT_OWNER_WORDS),
                None => true,
            };
            if owner_ok {
                self.facts.sleep_ident = true;
            }
        }
        self.call(start, start + w.len());
        let target = self.has(BlockKind::Class) && self.may_be_target();
        // 5: a module-level constant named for retrying (`RETRYABLE_STATUS_CODES = (...)`, `MAX_RETRY_DELAY =
        // 8.0`): the model decides whether it is a preset or a decision's data.
        if gated && self.blocks.is_empty() && self.may_be_target() && crate::detect::names::is_model_piece_name(w) {
            self.facts.model_piece = true;
        }
        // 5: a retry budget written at a call (`client.with_options(max_retries=0)`): a config site of the retry
        // behind the call, whatever the callee (`model::roles::config_sites`).
        if gated
            && self.depth > 0
            && !self.in_header
            && self.keyword_argument()
            && crate::detect::names::is_budget_limit_name(w)
        {
            self.facts.model_piece = true;
        }
        // The def name is no parameter: its hints were weighed above.
        let in_header = self.in_header;
        self.in_header = in_header && !is_def_name;
        self.ident(w, target, gated);
        self.in_header = in_header;
        self.after_ident(start);
    }

    /// No state that reads identifiers' names is open (import line, except clause, def/class name, `for` or
    /// def header); blocks are read only through `handler_ident`.
    pub(super) fn plain_state(&self) -> bool {
        !(self.in_import
            || self.clause.active
            || self.want_def_name
            || self.want_class_name
            || self.in_for_header
            || self.in_header)
    }

    /// Chain bookkeeping after an identifier that starts at `start`.
    pub(super) fn after_ident(&mut self, start: usize) {
        if self.prev != b'.' || self.chain_start.is_none() {
            self.chain_start = if self.prev == b'.' { None } else { Some(start) };
        }
        self.prev = b'i';
    }

    /// A function defined under `name` (the def block is already open): a method when the nearest enclosing
    /// def or class is a class (`context::collect_functions`).
    pub(super) fn define(&mut self, name: &'s str) {
        let n = self.blocks.len();
        if n == 1 {
            self.top_names.push(name);
        }
        let owner = self.blocks[..n.saturating_sub(1)]
            .iter()
            .rev()
            .find(|b| matches!(b.kind, BlockKind::Def | BlockKind::Class));
        let scope = if owner.is_some_and(|b| b.kind == BlockKind::Class) { Scope::Method } else { Scope::Plain };
        self.defines.push((name, scope));
        if name == "__init__" && self.chunk.piece == Piece::Method && n == 2 && self.blocks[0].kind == BlockKind::Class
        {
            self.chunk.piece = Piece::Init;
        }
    }

    /// The identifier at `start..end` (the scanner stands at `end`): record it when it is called by a name
    /// `FileContext::callees` resolves (`f(...)`, `self.f(...)`, `cls.f(...)`).
    #[inline]
    pub(super) fn call(&mut self, start: usize, end: usize) {
        // Most identifiers are followed by neither `(` nor a space: decide those without a call.
        if matches!(self.b.get(end), Some(b'(' | b' ' | b'\t')) {
            self.call_at(start, end);
        }
    }

    fn call_at(&mut self, start: usize, end: usize) {
        if next_non_space(self.b, end) != b'(' {
            return;
        }
        let scope = if self.prev != b'.' {
            Scope::Plain
        } else {
            match self.chain_start.map(|cs| self.src[cs..start].trim_end_matches([' ', '\t', '.'])) {
                Some("self" | "cls") => Scope::Method,
                _ => return,
            }
        };
        self.calls.push(Call { start: start as u32, end: end as u32, scope });
    }

    /// May the identifier at `start..end` contain a gate word?
    pub(super) fn gate_hit(&self, start: usize, end: usize) -> bool {
        self.gate.hit(&self.b[start..end])
    }

    /// An identifier inside an f-string field: conditions on names, never structure.
    pub(super) fn fstring_word(&mut self, start: usize, end: usize) {
        let w = &self.src[start..end];
        if w == "wait" {
            self.facts.sleep_ident = true;
        }
        let gated = self.gate_hit(start, end);
        self.ident(w, false, gated);
    }

    /// The innermost block (the def or class being declared) is hinted.
    pub(super) fn hint_top(&mut self) {
        if let Some(top) = self.blocks.last_mut() {
            if matches!(top.kind, BlockKind::Def | BlockKind::Class) {
                top.hinted = true;
            }
        }
    }

    /// Arithmetic material inside hinted blocks: `**`, `<<`, pow/uniform/random/... are delay arithmetic on
    /// their own; `*` needs an attempt word too (`params::is_backoff_arithmetic`).
    /// A binary `**` or `<<`: delay arithmetic, and in a method the growing timeout of a breaker kept per key,
    /// whatever its names (`classes::per_key_breaker`).
    pub(super) fn power(&mut self) {
        if self.has(BlockKind::Class) && self.has(BlockKind::Def) {
            self.facts.method_power = true;
        }
        self.arith(Arith::Strong);
    }

    pub(super) fn arith(&mut self, a: Arith) {
        if self.facts.backoff {
            return;
        }
        for b in self.blocks.iter_mut().filter(|b| b.hinted) {
            match a {
                Arith::Strong => self.facts.backoff = true,
                Arith::Star => b.star = true,
                Arith::Attempt => b.attempt = true,
            }
            if b.star && b.attempt {
                self.facts.backoff = true;
            }
        }
    }

    /// An operator inside an f-string field (reported as an empty range at its offset).
    pub(super) fn fstring_op(&mut self, at: usize) {
        match (self.b[at], self.b.get(at + 1)) {
            (b'*', Some(b'*')) | (b'<', Some(b'<')) => self.power(),
            (b'*', _) => self.arith(Arith::Star),
            _ => {}
        }
    }

    /// Name conditions shared by code and f-string identifiers.
    /// `target`: the identifier may be an assignment or annotation target (a class field).
    /// `gated`: the identifier contains a gate word; without one, no name list below can hold it.
    pub(super) fn ident(&mut self, w: &'s str, target: bool, gated: bool) {
        // Without a gate word only an import line, a `for` header and a handler read the name (keywords and
        // names in headers come here: most of them).
        if !gated && !self.in_import && !self.in_for_header {
            if self.has(BlockKind::Handler) && self.has(BlockKind::Def) {
                self.handler_ident(w, 0);
            }
            return;
        }
        let g = if gated { self.groups(w) } else { 0 };
        if g & G_CLASS_SUB != 0 && self.has(BlockKind::Class) {
            self.facts.class_sub_ident = true;
        }
        let f = &mut self.facts;
        let first = w.as_bytes().first().copied().unwrap_or(0);
        if !f.sleep_ident && gated && SLEEP_NAMES.contains(&w) {
            f.sleep_ident = true;
        }
        if self.in_import {
            f.import_word |= self.plan_words.iter().any(|x| x == w);
            f.library_root |= self.library_roots.iter().any(|x| x == w);
            f.count_imported |= w == "count";
        }
        // A length mask first: most identifiers have no library name's length, and this runs on every one.
        if !f.library_name
            && gated
            && w.len() < 64
            && self.library_name_lens & (1 << w.len()) != 0
            && self.library_names.iter().any(|x| x == w)
        {
            f.library_name = true;
        }
        let attempt_word = g & G_ATTEMPT != 0;
        f.failure_ident |= g & G_FAILURE != 0;
        // 1e: `functions::delegates_retry` (a nested wrapper calling a retry-named callee) needs "retr".
        f.nested_retry |= attempt_word && self.open[BlockKind::Def as usize] >= 2 && contains_ci(w, "retr");
        if self.in_for_header && (attempt_word || w == "range" || w == "count") {
            self.for_header_qualifies = true;
        }
        if self.in_header && attempt_word {
            self.hint_top();
            // 5: a retry budget among the parameters (`connect(..., max_retries: int = 5, ...)`): the model reads
            // the signature's defaults (a preset) and what the def hands the budget to.
            if crate::detect::names::is_budget_name(w) {
                self.facts.model_piece = true;
            }
        }
        // 5: a class field that is a retry budget (`max_reconnect_attempts: int = 10`): the class may embed a retry
        // policy (a config schema the model recognises with its delay field).
        if target && attempt_word && !self.has(BlockKind::Def) && crate::detect::names::is_budget_name(w) {
            self.hint_top();
            self.facts.model_piece = true;
        }
        if attempt_word {
            self.arith(Arith::Attempt);
        }
        if gated && matches!(first, b'p' | b'u' | b'r' | b'e') && RANDOM_CALLS.contains(&w) {
            self.arith(Arith::Strong);
        }
        if target && gated && !self.facts.class_word && self.has(BlockKind::Class) {
            let trimmed = w.trim_start_matches('_');
            let named = g & G_CLASS_SUB != 0 && {
                use crate::detect::names::{is_attempts_param, is_delay_param, is_retry_method};
                is_retry_method(w)
                    || is_attempts_param(w)
                    || is_attempts_param(trimmed)
                    || is_delay_param(w)
                    || is_delay_param(trimmed)
            };
            if named || crate::detect::names::STRATEGY_MEMBERS.iter().any(|m| trimmed.eq_ignore_ascii_case(m)) {
                self.facts.class_word = true;
            }
        }
        if self.has(BlockKind::Handler) && self.has(BlockKind::Def) {
            self.handler_ident(w, g);
        }
    }

    /// `groups(w)`, remembered per file.
    pub(super) fn groups(&mut self, w: &'s str) -> u32 {
        *self.group_cache.entry(w).or_insert_with(|| groups(w))
    }

    /// An identifier (with word groups `g`) inside an `except` block inside a def (1d).
    pub(super) fn handler_ident(&mut self, w: &str, g: u32) {
        if self.facts.recursion {
            return;
        }
        // A helper named for retrying (mutual recursion through `_retry_*`), or a call of the enclosing def,
        // which is a retry with a counter argument, a wait, or a retry/attempt/reconnect name.
        if g & G_RECURSION != 0 {
            self.facts.recursion = true;
        }
        let self_call = self.blocks.iter().any(|b| b.kind == BlockKind::Def && b.name == w);
        if self_call && contains_ci(w, "reconnect") {
            self.facts.recursion = true;
        }
        let attempt_word = g & G_ATTEMPT != 0;
        if self_call || attempt_word {
            for b in self.blocks.iter_mut().filter(|b| b.kind == BlockKind::Handler) {
                b.self_call |= self_call;
                b.attempt |= attempt_word;
            }
        }
    }
}
