//! Tokenizer and Pratt parser: JSONata text → [`Node`] tree.

use crate::Error;

#[derive(Debug, Clone)]
pub enum Node {
    Num(f64),
    Str(String),
    Bool(bool),
    Null,
    Regex(Box<regex::Regex>, #[allow(dead_code)] String),
    /// field name
    Name(String),
    /// `$name` (`$` alone is the context)
    Var(String),
    Wildcard,
    Descendants,
    Parent,
    Neg(Box<Node>),
    Bin(String, Box<Node>, Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    /// path steps `a.b.c`
    Path(Vec<Node>, bool),
    /// `expr[pred]`
    Filter(Box<Node>, Box<Node>),
    Array(Vec<Node>),
    Range(Box<Node>, Box<Node>),
    Object(Vec<(Node, Node)>),
    /// `expr{...}` group-by
    Group(Box<Node>, Vec<(Node, Node)>),
    Block(Vec<Node>),
    Bind(String, Box<Node>),
    Call(Box<Node>, Vec<Node>),
    Lambda(Vec<String>, Box<Node>),
    Cond(Box<Node>, Box<Node>, Option<Box<Node>>),
    Coalesce(Box<Node>, Box<Node>),
    Elvis(Box<Node>, Box<Node>),
    Chain(Box<Node>, Box<Node>),
    Sort(Box<Node>, Vec<(Node, bool)>),
    /// `?` placeholder in a partial application
    Placeholder,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Name(String),
    Var(String),
    Op(&'static str),
    Regex(String, String),
    End,
}

const OPS: &[&str] = &[
    "..", ":=", "!=", "<=", ">=", "~>", "**", "??", "?:", ".", "[", "]", "{", "}", "(", ")", ",",
    "@", "#", ";", ":", "?", "+", "-", "*", "/", "%", "|", "=", "<", ">", "^", "&", "!", "~",
];

fn err(code: &str, msg: impl Into<String>) -> Error {
    Error {
        code: code.to_string(),
        message: msg.into(),
    }
}

struct Lexer<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
    prev_operand: bool,
}

impl Lexer<'_> {
    fn next(&mut self) -> Result<Tok, Error> {
        // whitespace and comments
        loop {
            while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
                self.i += 1;
            }
            if self.s[self.i..].starts_with(b"/*") {
                match self.src[self.i + 2..].find("*/") {
                    Some(e) => self.i += e + 4,
                    None => return Err(err("S0106", "Comment has no closing tag")),
                }
                continue;
            }
            break;
        }
        if self.i >= self.s.len() {
            return Ok(Tok::End);
        }
        let c = self.s[self.i];
        let t = if c == b'/' && !self.prev_operand {
            // regex literal
            self.i += 1;
            let start = self.i;
            let mut depth = 0i32;
            loop {
                if self.i >= self.s.len() {
                    return Err(err("S0302", "No terminating / in regular expression"));
                }
                let ch = self.s[self.i];
                if ch == b'\\' {
                    self.i += 2;
                    continue;
                }
                if ch == b'[' {
                    depth += 1;
                } else if ch == b']' {
                    depth -= 1;
                } else if ch == b'/' && depth <= 0 {
                    break;
                }
                self.i += 1;
            }
            let pat = self.src[start..self.i].to_string();
            self.i += 1;
            let fs = self.i;
            while self.i < self.s.len() && (self.s[self.i] == b'i' || self.s[self.i] == b'm') {
                self.i += 1;
            }
            Tok::Regex(pat, self.src[fs..self.i].to_string())
        } else if c == b'"' || c == b'\'' {
            self.i += 1;
            let mut out = String::new();
            loop {
                let Some(ch) = self.src[self.i..].chars().next() else {
                    return Err(err(
                        "S0101",
                        "String literal must be terminated by a matching quote",
                    ));
                };
                self.i += ch.len_utf8();
                if ch as u32 == c as u32 {
                    break;
                }
                if ch == '\\' {
                    let Some(e) = self.src[self.i..].chars().next() else {
                        return Err(err(
                            "S0101",
                            "String literal must be terminated by a matching quote",
                        ));
                    };
                    self.i += e.len_utf8();
                    match e {
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        '/' => out.push('/'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        '\'' => out.push('\''),
                        'u' => {
                            let hex = self.src.get(self.i..self.i + 4).unwrap_or("");
                            let code = u32::from_str_radix(hex, 16).map_err(|_| {
                                err(
                                    "S0104",
                                    "The escape sequence \\u must be followed by 4 hex digits",
                                )
                            })?;
                            self.i += 4;
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        other => {
                            return Err(err(
                                "S0103",
                                format!("Unsupported escape sequence: \\{other}"),
                            ))
                        }
                    }
                } else {
                    out.push(ch);
                }
            }
            Tok::Str(out)
        } else if c.is_ascii_digit() {
            let start = self.i;
            while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                self.i += 1;
            }
            if self.i + 1 < self.s.len()
                && self.s[self.i] == b'.'
                && self.s[self.i + 1].is_ascii_digit()
            {
                self.i += 1;
                while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                    self.i += 1;
                }
            }
            if self.i < self.s.len() && (self.s[self.i] == b'e' || self.s[self.i] == b'E') {
                let save = self.i;
                self.i += 1;
                if self.i < self.s.len() && (self.s[self.i] == b'+' || self.s[self.i] == b'-') {
                    self.i += 1;
                }
                if self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                    while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                        self.i += 1;
                    }
                } else {
                    self.i = save;
                }
            }
            let n: f64 = self.src[start..self.i]
                .parse()
                .map_err(|_| err("S0102", "Number out of range"))?;
            Tok::Num(n)
        } else if c == b'`' {
            self.i += 1;
            let start = self.i;
            while self.i < self.s.len() && self.s[self.i] != b'`' {
                self.i += 1;
            }
            if self.i >= self.s.len() {
                return Err(err(
                    "S0105",
                    "Quoted property name must be terminated with a backquote (`)",
                ));
            }
            let n = self.src[start..self.i].to_string();
            self.i += 1;
            Tok::Name(n)
        } else if c == b'$' {
            self.i += 1;
            let start = self.i;
            while self.i < self.s.len() && is_name_byte(self.s[self.i]) {
                self.i += 1;
            }
            if self.i < self.s.len() && self.s[self.i] == b'$' && self.i == start {
                self.i += 1;
                Tok::Var("$".to_string())
            } else {
                Tok::Var(self.src[start..self.i].to_string())
            }
        } else if let Some(op) = OPS
            .iter()
            .find(|o| self.s[self.i..].starts_with(o.as_bytes()))
        {
            // `?:` only when not a conditional followed by `:`
            self.i += op.len();
            Tok::Op(op)
        } else if is_name_byte(c) || c >= 0x80 {
            let start = self.i;
            while self.i < self.s.len() && (is_name_byte(self.s[self.i]) || self.s[self.i] >= 0x80)
            {
                self.i += 1;
            }
            Tok::Name(self.src[start..self.i].to_string())
        } else {
            return Err(err("S0204", format!("Unknown operator: \"{}\"", c as char)));
        };
        self.prev_operand = match &t {
            Tok::Num(_) | Tok::Str(_) | Tok::Name(_) | Tok::Var(_) | Tok::Regex(..) => true,
            Tok::Op(o) => matches!(*o, ")" | "]" | "}" | "*" | "%"),
            Tok::End => false,
        };
        Ok(t)
    }
}

fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

pub struct Parser {
    toks: Vec<Tok>,
    i: usize,
    depth: usize,
}

pub fn parse(src: &str) -> Result<Node, Error> {
    let mut lx = Lexer {
        s: src.as_bytes(),
        src,
        i: 0,
        prev_operand: false,
    };
    let mut toks = Vec::new();
    loop {
        let t = lx.next()?;
        let end = t == Tok::End;
        toks.push(t);
        if end {
            break;
        }
    }
    let mut p = Parser {
        toks,
        i: 0,
        depth: 0,
    };
    let n = p.expr(0)?;
    if p.peek() != &Tok::End {
        return Err(err("S0201", format!("Syntax error: {:?}", p.peek())));
    }
    Ok(n)
}

fn lbp(t: &Tok) -> u32 {
    match t {
        Tok::Op(o) => match *o {
            "." => 75,
            "[" | "(" | "@" | "#" => 80,
            "{" => 70,
            "?" | "?:" | "??" => 20,
            "+" | "-" | "&" => 50,
            "*" | "/" | "%" | "**" => 60,
            "=" | "<" | ">" | "!=" | "<=" | ">=" | "~>" | "^" => 40,
            ".." => 20,
            ":=" => 10,
            _ => 0,
        },
        Tok::Name(n) if n == "and" => 30,
        Tok::Name(n) if n == "or" => 25,
        Tok::Name(n) if n == "in" => 40,
        _ => 0,
    }
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.toks.get(self.i).unwrap_or(&Tok::End)
    }

    fn advance(&mut self) -> Tok {
        let t = self.peek().clone();
        self.i += 1;
        t
    }

    fn expect(&mut self, op: &str) -> Result<(), Error> {
        match self.advance() {
            Tok::Op(o) if o == op => Ok(()),
            other => Err(err("S0202", format!("Expected \"{op}\", got {other:?}"))),
        }
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }

    pub fn expr(&mut self, rbp: u32) -> Result<Node, Error> {
        self.depth += 1;
        if self.depth > 120 {
            return Err(err(
                "S0201",
                "Syntax error: the expression is nested too deeply",
            ));
        }
        let r = self.expr_inner(rbp);
        self.depth -= 1;
        r
    }

    fn expr_inner(&mut self, rbp: u32) -> Result<Node, Error> {
        let t = self.advance();
        let mut left = self.nud(t)?;
        while rbp < lbp(self.peek()) {
            let t = self.advance();
            left = self.led(t, left)?;
        }
        Ok(left)
    }

    fn nud(&mut self, t: Tok) -> Result<Node, Error> {
        Ok(match t {
            Tok::Num(n) => Node::Num(n),
            Tok::Str(s) => Node::Str(s),
            Tok::Regex(p, f) => {
                let pat = if f.contains('i') {
                    format!("(?i){p}")
                } else {
                    p.clone()
                };
                let pat = if f.contains('m') {
                    format!("(?m){pat}")
                } else {
                    pat
                };
                let re = regex::Regex::new(&pat).map_err(|e| err("S0302", e.to_string()))?;
                Node::Regex(Box::new(re), p)
            }
            Tok::Var(v) => Node::Var(v),
            Tok::Name(n) => match n.as_str() {
                "true" => Node::Bool(true),
                "false" => Node::Bool(false),
                "null" => Node::Null,
                "function" | "λ" if self.is_op("(") => self.lambda()?,
                _ => Node::Name(n),
            },
            Tok::Op(o) => match o {
                "-" => Node::Neg(Box::new(self.expr(70)?)),
                "*" => Node::Wildcard,
                "**" => Node::Descendants,
                "%" => Node::Parent,
                "?" => Node::Placeholder,
                "(" => {
                    let mut items = Vec::new();
                    while !self.is_op(")") {
                        items.push(self.expr(0)?);
                        if !self.is_op(";") {
                            break;
                        }
                        self.advance();
                    }
                    self.expect(")")?;
                    Node::Block(items)
                }
                "[" => {
                    let mut items = Vec::new();
                    if !self.is_op("]") {
                        loop {
                            let item = self.expr(0)?;
                            let item = match item {
                                Node::Bin(op, a, b) if op == ".." => Node::Range(a, b),
                                other => other,
                            };
                            items.push(item);
                            if !self.is_op(",") {
                                break;
                            }
                            self.advance();
                        }
                    }
                    self.expect("]")?;
                    Node::Array(items)
                }
                "{" => Node::Object(self.object_body()?),
                "|" => {
                    return Err(err(
                        "S0211",
                        "The transform operator |pattern|update[, delete]| is not supported by this JSONata implementation",
                    ))
                }
                other => {
                    return Err(err(
                        "S0211",
                        format!("The symbol {other} cannot be used as a unary operator"),
                    ))
                }
            },
            Tok::End => return Err(err("S0207", "Unexpected end of expression")),
        })
    }

    fn object_body(&mut self) -> Result<Vec<(Node, Node)>, Error> {
        let mut pairs = Vec::new();
        if !self.is_op("}") {
            loop {
                let k = self.expr(0)?;
                self.expect(":")?;
                let v = self.expr(0)?;
                pairs.push((k, v));
                if !self.is_op(",") {
                    break;
                }
                self.advance();
            }
        }
        self.expect("}")?;
        Ok(pairs)
    }

    fn lambda(&mut self) -> Result<Node, Error> {
        self.expect("(")?;
        let mut params = Vec::new();
        while !self.is_op(")") {
            match self.advance() {
                Tok::Var(v) => params.push(v),
                other => return Err(err("S0208", format!("Parameter {other:?} of function definition must be a variable name (start with $)"))),
            }
            if self.is_op(",") {
                self.advance();
            }
        }
        self.expect(")")?;
        // optional signature <...>
        if self.is_op("<") {
            let mut depth = 0;
            loop {
                match self.advance() {
                    Tok::Op("<") => depth += 1,
                    Tok::Op(">") => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    Tok::End => return Err(err("S0401", "Bad signature")),
                    _ => {}
                }
            }
        }
        self.expect("{")?;
        let body = if self.is_op("}") {
            Node::Block(vec![])
        } else {
            self.expr(0)?
        };
        self.expect("}")?;
        Ok(Node::Lambda(params, Box::new(body)))
    }

    fn led(&mut self, t: Tok, left: Node) -> Result<Node, Error> {
        Ok(match t {
            Tok::Op(".") => {
                let right = self.expr(75)?;
                let mut steps = match left {
                    Node::Path(s, false) => s,
                    other => vec![other],
                };
                match right {
                    Node::Path(s, false) => steps.extend(s),
                    other => steps.push(other),
                }
                Node::Path(steps, false)
            }
            Tok::Op("[") => {
                if self.is_op("]") {
                    self.advance();
                    // keep singleton arrays
                    return Ok(match left {
                        Node::Path(s, _) => Node::Path(s, true),
                        other => Node::Path(vec![other], true),
                    });
                }
                let pred = self.expr(0)?;
                self.expect("]")?;
                // a predicate binds to the last step of a path
                match left {
                    Node::Path(mut s, keep) => {
                        if let Some(last) = s.pop() {
                            s.push(Node::Filter(Box::new(last), Box::new(pred)));
                        }
                        Node::Path(s, keep)
                    }
                    other => Node::Filter(Box::new(other), Box::new(pred)),
                }
            }
            Tok::Op("{") => Node::Group(Box::new(left), self.object_body()?),
            Tok::Op("(") => {
                let mut args = Vec::new();
                while !self.is_op(")") {
                    args.push(self.expr(0)?);
                    if !self.is_op(",") {
                        break;
                    }
                    self.advance();
                }
                self.expect(")")?;
                Node::Call(Box::new(left), args)
            }
            Tok::Op("?") => {
                let then = self.expr(0)?;
                let els = if self.is_op(":") {
                    self.advance();
                    Some(Box::new(self.expr(0)?))
                } else {
                    None
                };
                Node::Cond(Box::new(left), Box::new(then), els)
            }
            Tok::Op("?:") => Node::Elvis(Box::new(left), Box::new(self.expr(20)?)),
            Tok::Op("??") => Node::Coalesce(Box::new(left), Box::new(self.expr(20)?)),
            Tok::Op(":=") => {
                let Node::Var(name) = left else {
                    return Err(err(
                        "S0212",
                        "The left side of := must be a variable name (start with $)",
                    ));
                };
                Node::Bind(name, Box::new(self.expr(9)?))
            }
            Tok::Op("~>") => Node::Chain(Box::new(left), Box::new(self.expr(40)?)),
            Tok::Op("^") => {
                self.expect("(")?;
                let mut terms = Vec::new();
                loop {
                    let mut desc = false;
                    if self.is_op("<") {
                        self.advance();
                    } else if self.is_op(">") {
                        self.advance();
                        desc = true;
                    }
                    terms.push((self.expr(0)?, desc));
                    if !self.is_op(",") {
                        break;
                    }
                    self.advance();
                }
                self.expect(")")?;
                Node::Sort(Box::new(left), terms)
            }
            Tok::Name(n) if n == "and" => Node::And(Box::new(left), Box::new(self.expr(30)?)),
            Tok::Name(n) if n == "or" => Node::Or(Box::new(left), Box::new(self.expr(25)?)),
            Tok::Name(n) if n == "in" => {
                Node::Bin("in".into(), Box::new(left), Box::new(self.expr(40)?))
            }
            Tok::Op(o) => {
                let bp = lbp(&Tok::Op(o));
                let right = self.expr(bp)?;
                Node::Bin(o.to_string(), Box::new(left), Box::new(right))
            }
            other => return Err(err("S0201", format!("Syntax error: {other:?}"))),
        })
    }
}
