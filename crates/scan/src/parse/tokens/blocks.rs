//! Block tracking: indentation, the block stack (defs, classes, loops, `try` and handlers) and `except`
//! clause headers.

/// The tokenizer met something it does not model: the file is parsed.
pub(super) struct Unsure;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Indent {
    /// Column with tabs to the next multiple of 8 (Python's rule).
    pub(super) col8: u32,
    /// Column with tabs counting 1 (Python rejects files where the two orders disagree).
    pub(super) col1: u32,
}

impl Indent {
    /// `self` closes a block opened at `open`: the line is not indented deeper.
    pub(super) fn closes(self, open: Indent) -> Result<bool, Unsure> {
        let a = self.col8 <= open.col8;
        let b = self.col1 <= open.col1;
        if a == b {
            Ok(a)
        } else {
            Err(Unsure)
        }
    }
}

#[derive(PartialEq, Eq, Clone, Copy)]
pub(super) enum BlockKind {
    Loop,
    Def,
    Class,
    Handler,
}

pub(super) struct Block<'s> {
    pub(super) kind: BlockKind,
    pub(super) indent: Indent,
    /// Def name.
    pub(super) name: &'s str,
    /// Loop: a `while`, or a `for` whose header names `range`, `count` or an attempt word (see 1.).
    pub(super) qualifying: bool,
    // Handler state: inside a qualifying loop inside a def / inside any loop inside a def.
    pub(super) in_qloop_in_def: bool,
    pub(super) in_loop_in_def: bool,
    /// Handler: an identifier equal to an enclosing def's name / an attempt word.
    pub(super) self_call: bool,
    pub(super) attempt: bool,
    /// Def or class whose name (or a parameter) makes delay arithmetic in it a finding (3., 2.).
    pub(super) hinted: bool,
    /// Hinted block: a binary `*` seen inside.
    pub(super) star: bool,
    pub(super) control_flow: bool,
    pub(super) leaves: bool,
    /// A `continue` somewhere inside the handler: it re-attempts even if it also leaves on another path.
    pub(super) continues: bool,
    pub(super) body_indent: Option<Indent>,
}

/// What the current `except` clause header has shown so far (between `except` and its colon).
#[derive(Default)]
pub(super) struct Clause {
    pub(super) active: bool,
    /// Tokens simplified: identifiers, `.`, `,`, `(`, `)`, `*`, `as`; anything else makes `plain` false.
    pub(super) plain: bool,
    pub(super) tokens: Vec<u8>,
    pub(super) names: Vec<(usize, usize)>,
}
