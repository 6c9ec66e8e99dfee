//! A tiny parser for the Python expressions retry decorators are written with: literals, dotted
//! names, calls with positional and keyword arguments, tuples/lists, and the operators that
//! appear in practice (`|` and `+` combine stop/wait objects; `* / ** -` fold on numbers, e.g.
//! `max=60 * 5`). It is not a Python parser and does not try to be: the scanner hands real
//! parsed arguments to [`super::translate_call`]; this is for configs typed on the command line.

use super::{CallExpr, LiteralValue};

/// A config string that does not parse; `offset` is a byte offset into the input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot parse the configuration at offset {offset}: {message}")]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

/// One top-level item of a config string: `expr` or `name=expr`.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Positional(LiteralValue),
    Keyword(String, LiteralValue),
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

/// Parses `a, b(c=1), d=e` into items.
pub fn parse_items(src: &str) -> Result<Vec<Item>, ParseError> {
    let mut p = Parser { src, pos: 0 };
    let items = p.arguments(None)?;
    p.skip_ws();
    if p.pos < src.len() {
        return Err(p.error("unexpected text"));
    }
    Ok(items)
}

impl Parser<'_> {
    fn error(&self, message: &str) -> ParseError {
        let rest: String = self.src[self.pos..].chars().take(12).collect();
        let message =
            if rest.is_empty() { format!("{message} (end of input)") } else { format!("{message} near `{rest}`") };
        ParseError { offset: self.pos, message }
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() || c == '\\' {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn eat(&mut self, s: &str) -> bool {
        self.skip_ws();
        if self.src[self.pos..].starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    /// Comma-separated items up to `close` (or end of input when `None`).
    fn arguments(&mut self, close: Option<char>) -> Result<Vec<Item>, ParseError> {
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match (self.peek(), close) {
                (None, None) => return Ok(items),
                (Some(c), Some(cl)) if c == cl => {
                    self.pos += 1;
                    return Ok(items);
                }
                (None, Some(cl)) => return Err(self.error(&format!("expected `{cl}`"))),
                _ => {}
            }
            // keyword?
            let save = self.pos;
            let keyword = self.identifier().filter(|_| {
                self.skip_ws();
                self.src[self.pos..].starts_with('=') && !self.src[self.pos..].starts_with("==")
            });
            match keyword {
                Some(name) => {
                    self.pos += 1;
                    items.push(Item::Keyword(name, self.expr()?));
                }
                None => {
                    self.pos = save;
                    items.push(Item::Positional(self.expr()?));
                }
            }
            self.skip_ws();
            if !self.eat(",") {
                self.skip_ws();
                match (self.peek(), close) {
                    (None, None) => return Ok(items),
                    (Some(c), Some(cl)) if c == cl => {}
                    (_, Some(cl)) => return Err(self.error(&format!("expected `,` or `{cl}`"))),
                    _ => return Err(self.error("expected `,`")),
                }
            }
        }
    }

    fn identifier(&mut self) -> Option<String> {
        self.skip_ws();
        let start = self.pos;
        for (i, c) in self.src[start..].char_indices() {
            let ok = if i == 0 { c.is_alphabetic() || c == '_' } else { c.is_alphanumeric() || c == '_' };
            if !ok {
                break;
            }
            self.pos = start + i + c.len_utf8();
        }
        (self.pos > start).then(|| self.src[start..self.pos].to_string())
    }

    fn expr(&mut self) -> Result<LiteralValue, ParseError> {
        let mut lhs = self.and_expr()?;
        while self.eat("|") {
            let rhs = self.and_expr()?;
            lhs = LiteralValue::BinOp(Box::new(lhs), '|', Box::new(rhs));
        }
        Ok(lhs)
    }

    /// `a & b` (tenacity combines retry conditions with it; binds tighter than `|`).
    fn and_expr(&mut self) -> Result<LiteralValue, ParseError> {
        let mut lhs = self.sum()?;
        while self.eat("&") {
            let rhs = self.sum()?;
            lhs = LiteralValue::BinOp(Box::new(lhs), '&', Box::new(rhs));
        }
        Ok(lhs)
    }

    /// The text of a lambda, up to the `,` or closing bracket that ends it: code, never a literal.
    fn lambda(&mut self, start: usize) -> LiteralValue {
        let mut depth = 0i32;
        let bytes = self.src.as_bytes();
        while self.pos < bytes.len() {
            match bytes[self.pos] {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' if depth == 0 => break,
                b')' | b']' | b'}' => depth -= 1,
                b',' if depth == 0 => break,
                _ => {}
            }
            self.pos += 1;
        }
        LiteralValue::Unknown(self.src[start..self.pos].trim().to_string())
    }

    /// `{key: value, ...}` (botocore's `Config(retries={"max_attempts": 5, "mode": "standard"})`).
    fn dict(&mut self) -> Result<LiteralValue, ParseError> {
        let mut entries = Vec::new();
        loop {
            if self.eat("}") {
                return Ok(LiteralValue::Dict(entries));
            }
            let key = self.expr()?;
            if !self.eat(":") {
                return Err(self.error("expected `:` in a dict"));
            }
            let value = self.expr()?;
            entries.push((key, value));
            if !self.eat(",") && !self.src[self.pos..].trim_start().starts_with('}') {
                return Err(self.error("expected `,` or `}`"));
            }
        }
    }

    fn sum(&mut self) -> Result<LiteralValue, ParseError> {
        let mut lhs = self.product()?;
        loop {
            let op = if self.eat("+") {
                '+'
            } else if self.eat("-") {
                '-'
            } else {
                return Ok(lhs);
            };
            let rhs = self.product()?;
            lhs = fold(lhs, op, rhs);
        }
    }

    fn product(&mut self) -> Result<LiteralValue, ParseError> {
        let mut lhs = self.unary()?;
        loop {
            self.skip_ws();
            let op = if self.src[self.pos..].starts_with("**") {
                return Ok(lhs);
            } else if self.eat("*") {
                '*'
            } else if self.eat("/") {
                '/'
            } else {
                return Ok(lhs);
            };
            let rhs = self.unary()?;
            lhs = fold(lhs, op, rhs);
        }
    }

    fn unary(&mut self) -> Result<LiteralValue, ParseError> {
        if self.eat("-") {
            let v = self.unary()?;
            return Ok(fold(LiteralValue::Int(0), '-', v));
        }
        let base = self.atom()?;
        if self.eat("**") {
            let exp = self.unary()?;
            return Ok(fold(base, '^', exp));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<LiteralValue, ParseError> {
        self.skip_ws();
        let Some(c) = self.peek() else {
            return Err(self.error("expected a value"));
        };
        if c.is_ascii_digit() || (c == '.' && self.src[self.pos + 1..].starts_with(|d: char| d.is_ascii_digit())) {
            return self.number();
        }
        if c == '"' || c == '\'' {
            return self.string(c);
        }
        if c == '{' {
            self.pos += 1;
            return self.dict();
        }
        if c == '(' || c == '[' {
            self.pos += 1;
            let close = if c == '(' { ')' } else { ']' };
            let start = self.pos;
            let items = self.arguments(Some(close))?;
            let mut values = Vec::new();
            for item in items {
                match item {
                    Item::Positional(v) => values.push(v),
                    Item::Keyword(..) => {
                        self.pos = start;
                        return Err(self.error("unexpected keyword in a tuple"));
                    }
                }
            }
            let trailing_comma = self.src[..self.pos - 1].trim_end().ends_with(',');
            return Ok(if c == '(' && values.len() == 1 && !trailing_comma {
                values.pop().unwrap_or(LiteralValue::None)
            } else {
                LiteralValue::Tuple(values)
            });
        }
        let start = self.pos;
        let Some(mut name) = self.identifier() else {
            return Err(self.error("expected a value"));
        };
        if name == "lambda" {
            return Ok(self.lambda(start));
        }
        while self.src[self.pos..].starts_with('.') {
            self.pos += 1;
            let Some(part) = self.identifier() else {
                return Err(self.error("expected a name after `.`"));
            };
            name.push('.');
            name.push_str(&part);
        }
        match name.as_str() {
            "None" => return Ok(LiteralValue::None),
            "True" => return Ok(LiteralValue::Bool(true)),
            "False" => return Ok(LiteralValue::Bool(false)),
            _ => {}
        }
        if self.eat("(") {
            let mut call = CallExpr { func: name, args: Vec::new(), kwargs: Vec::new() };
            for item in self.arguments(Some(')'))? {
                match item {
                    Item::Positional(v) => call.args.push(v),
                    Item::Keyword(k, v) => call.kwargs.push((k, v)),
                }
            }
            return Ok(LiteralValue::Call(call));
        }
        Ok(LiteralValue::Name(name))
    }

    fn number(&mut self) -> Result<LiteralValue, ParseError> {
        let start = self.pos;
        let bytes = self.src.as_bytes();
        while self.pos < bytes.len() {
            let c = bytes[self.pos] as char;
            let exp_sign = (c == '+' || c == '-') && matches!(bytes[self.pos - 1], b'e' | b'E');
            if c.is_ascii_digit() || c == '.' || c == '_' || c == 'e' || c == 'E' || exp_sign {
                self.pos += 1;
            } else {
                break;
            }
        }
        let text: String = self.src[start..self.pos].chars().filter(|c| *c != '_').collect();
        if let Ok(i) = text.parse::<i64>() {
            return Ok(LiteralValue::Int(i));
        }
        text.parse::<f64>().map(LiteralValue::Float).map_err(|_| {
            self.pos = start;
            self.error("bad number")
        })
    }

    fn string(&mut self, quote: char) -> Result<LiteralValue, ParseError> {
        self.pos += 1;
        let start = self.pos;
        match self.src[start..].find(quote) {
            Some(len) => {
                self.pos = start + len + 1;
                Ok(LiteralValue::Str(self.src[start..start + len].to_string()))
            }
            None => Err(self.error("unterminated string")),
        }
    }
}

/// Folds arithmetic on numbers; anything else becomes a [`LiteralValue::BinOp`].
fn fold(lhs: LiteralValue, op: char, rhs: LiteralValue) -> LiteralValue {
    if let (LiteralValue::Int(a), LiteralValue::Int(b)) = (&lhs, &rhs) {
        let exact = match op {
            '+' => a.checked_add(*b),
            '-' => a.checked_sub(*b),
            '*' => a.checked_mul(*b),
            '^' => u32::try_from(*b).ok().and_then(|b| a.checked_pow(b)),
            _ => None,
        };
        if let Some(v) = exact {
            return LiteralValue::Int(v);
        }
    }
    match (lhs.as_number(), rhs.as_number()) {
        (Some(a), Some(b)) => LiteralValue::Float(match op {
            '+' => a + b,
            '-' => a - b,
            '*' => a * b,
            '/' => a / b,
            _ => a.powf(b),
        }),
        _ => LiteralValue::BinOp(Box::new(lhs), op, Box::new(rhs)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LiteralValue::*;

    #[test]
    fn calls_keywords_and_arithmetic() {
        let items =
            parse_items("stop_after_attempt(5), wait=wait_exponential(multiplier=0.5, max=60 * 5), x=-2**3").unwrap();
        assert_eq!(items.len(), 3);
        let Item::Positional(Call(c)) = &items[0] else { panic!("{items:?}") };
        assert_eq!((c.func.as_str(), &c.args[..]), ("stop_after_attempt", &[Int(5)][..]));
        let Item::Keyword(k, Call(w)) = &items[1] else { panic!() };
        assert_eq!(k, "wait");
        assert_eq!(w.kwargs, [("multiplier".to_string(), Float(0.5)), ("max".to_string(), Int(300))]);
        assert_eq!(items[2], Item::Keyword("x".into(), Int(-8)));
    }

    #[test]
    fn tuples_names_and_operators() {
        let items = parse_items("backoff.on_exception(backoff.expo, (OSError, TimeoutError), jitter=None)").unwrap();
        let Item::Positional(Call(c)) = &items[0] else { panic!() };
        assert_eq!(c.args[0], Name("backoff.expo".into()));
        assert_eq!(c.args[1], Tuple(vec![Name("OSError".into()), Name("TimeoutError".into())]));
        assert_eq!(c.kwargs[0].1, None);
        let items = parse_items("stop=stop_after_attempt(3) | stop_after_delay(1e1)").unwrap();
        assert!(matches!(&items[0], Item::Keyword(_, BinOp(_, '|', _))));
    }

    #[test]
    fn errors_have_offsets() {
        let e = parse_items("wait_fixed(1").unwrap_err();
        assert_eq!(e.offset, 12);
        assert_eq!(e.to_string(), "cannot parse the configuration at offset 12: expected `,` or `)` (end of input)");
        assert_eq!(parse_items("a b").unwrap_err().message, "expected `,` near `b`");
    }
}
