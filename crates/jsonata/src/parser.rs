//! The parser: top-down operator precedence (Pratt), as JSONata's grammar
//! is defined, producing the raw tree that [`crate::process`] refines.

use std::sync::Arc;

use crate::ast::{BinOp, Kind, Node, SortTerm};
use crate::error::{Error, Result, syntax};
use crate::lexer::{Lexer, Tok, binding_power};
use crate::signature::Signature;

pub(crate) struct Parser<'a> {
    source: &'a str,
    lexer: Lexer<'a>,
    tok: Tok,
    pos: usize,
    stack: crate::stack::StackGuard,
}

impl<'a> Parser<'a> {
    pub fn new(source: &'a str) -> Result<Self> {
        let mut lexer = Lexer::new(source);
        let (tok, pos) = lexer.next(true)?;
        Ok(Self {
            source,
            lexer,
            tok,
            pos,
            stack: crate::stack::StackGuard::new(crate::stack::PARSE_STACK_BUDGET),
        })
    }

    /// Parses the whole expression.
    pub fn parse(mut self) -> Result<Node> {
        let expr = self.expression(0)?;
        if self.tok != Tok::End {
            return Err(syntax(
                "S0201",
                self.pos,
                format!("syntax error: unexpected {}", describe(&self.tok)),
            )
            .token(describe(&self.tok)));
        }
        Ok(expr)
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(&self.tok, Tok::Op(o) if *o == op)
    }

    /// Moves to the next token. `expected`: the current token must be this
    /// operator. `infix`: an operator is expected next (so no regex).
    fn advance(&mut self, expected: Option<&str>, infix: bool) -> Result<()> {
        if let Some(want) = expected
            && !self.is_op(want)
        {
            let (code, message) = if self.tok == Tok::End {
                (
                    "S0203",
                    format!("expected '{want}' before the end of the expression"),
                )
            } else {
                (
                    "S0202",
                    format!("expected '{want}', got {}", describe(&self.tok)),
                )
            };
            return Err(syntax(code, self.pos, message).token(describe(&self.tok)));
        }
        let (tok, pos) = self.lexer.next(!infix)?;
        if let Tok::Op(op @ ("!" | "~")) = tok {
            return Err(syntax("S0204", pos, format!("unknown operator: {op}")).token(op));
        }
        self.tok = tok;
        self.pos = pos;
        Ok(())
    }

    fn lbp(&self) -> u8 {
        match &self.tok {
            Tok::Op(op) => match *op {
                // Prefix-only or punctuation.
                "|" | "**" | ":" | ";" | "," | ")" | "]" | "}" | ".." => 0,
                other => binding_power(other),
            },
            _ => 0,
        }
    }

    pub fn expression(&mut self, rbp: u8) -> Result<Node> {
        if !self.stack.ok() {
            return Err(syntax(
                "S0201",
                self.pos,
                "the expression is nested too deeply",
            ));
        }
        let (tok, pos) = (self.tok.clone(), self.pos);
        self.advance(None, true)?;
        let mut left = self.nud(tok, pos)?;
        while rbp < self.lbp() {
            let (tok, pos) = (self.tok.clone(), self.pos);
            self.advance(None, false)?;
            let Tok::Op(op) = tok else {
                break;
            };
            left = self.led(op, pos, left)?;
        }
        Ok(left)
    }

    fn nud(&mut self, tok: Tok, pos: usize) -> Result<Node> {
        let kind = match tok {
            Tok::Name(name) => Kind::Name(name),
            Tok::Variable(name) => Kind::Variable(name),
            Tok::Str(s) => Kind::Str(s),
            Tok::Num(n) => Kind::Num(n),
            Tok::True => Kind::Bool(true),
            Tok::False => Kind::Bool(false),
            Tok::Null => Kind::Null,
            Tok::End => Kind::End,
            Tok::Regex { pattern, flags } => Kind::Regex(Arc::new(
                crate::functions::regex::compile(&pattern, &flags, pos)?,
            )),
            Tok::Op(op) => return self.prefix(op, pos),
        };
        Ok(Node::new(kind, pos))
    }

    fn prefix(&mut self, op: &'static str, pos: usize) -> Result<Node> {
        let kind = match op {
            "and" | "or" | "in" => Kind::Name(op.to_owned()),
            "-" => Kind::Negate(Box::new(self.expression(70)?)),
            "*" => Kind::Wildcard,
            "**" => Kind::Descendant,
            "%" => Kind::Parent(crate::ast::Slot::Id(usize::MAX)),
            "(" => {
                let mut items = Vec::new();
                while !self.is_op(")") {
                    items.push(self.expression(0)?);
                    if !self.is_op(";") {
                        break;
                    }
                    self.advance(Some(";"), false)?;
                }
                self.advance(Some(")"), true)?;
                Kind::Block(items)
            }
            "[" => {
                let mut items = Vec::new();
                if !self.is_op("]") {
                    loop {
                        let mut item = self.expression(0)?;
                        if self.is_op("..") {
                            let range_pos = self.pos;
                            self.advance(Some(".."), false)?;
                            let rhs = self.expression(0)?;
                            item = Node::new(
                                Kind::Binary(BinOp::Range, Box::new(item), Box::new(rhs)),
                                range_pos,
                            );
                        }
                        items.push(item);
                        if !self.is_op(",") {
                            break;
                        }
                        self.advance(Some(","), false)?;
                    }
                }
                self.advance(Some("]"), true)?;
                Kind::Array(items)
            }
            "{" => Kind::Object(self.object_pairs()?),
            "|" => {
                let pattern = self.expression(0)?;
                self.advance(Some("|"), false)?;
                let update = self.expression(0)?;
                let delete = if self.is_op(",") {
                    self.advance(Some(","), false)?;
                    Some(Box::new(self.expression(0)?))
                } else {
                    None
                };
                self.advance(Some("|"), false)?;
                Kind::RawTransform(Box::new(pattern), Box::new(update), delete)
            }
            other => {
                return Err(syntax(
                    "S0211",
                    pos,
                    format!("the symbol {other} cannot be used as a unary operator"),
                )
                .token(other));
            }
        };
        Ok(Node::new(kind, pos))
    }

    fn object_pairs(&mut self) -> Result<Vec<(Node, Node)>> {
        let mut pairs = Vec::new();
        if !self.is_op("}") {
            loop {
                let key = self.expression(0)?;
                self.advance(Some(":"), false)?;
                let value = self.expression(0)?;
                pairs.push((key, value));
                if !self.is_op(",") {
                    break;
                }
                self.advance(Some(","), false)?;
            }
        }
        self.advance(Some("}"), true)?;
        Ok(pairs)
    }

    fn led(&mut self, op: &'static str, pos: usize, left: Node) -> Result<Node> {
        let bp = binding_power(op);
        let left = Box::new(left);
        let kind = match op {
            "." => Kind::Dot(left, Box::new(self.expression(bp)?)),
            "~>" => Kind::Apply(left, Box::new(self.expression(bp)?)),
            "??" => {
                let exists = Node::new(
                    Kind::Function(
                        Node::boxed(Kind::Variable("exists".to_owned()), pos),
                        vec![(*left).clone()],
                    ),
                    pos,
                );
                Kind::Condition(Box::new(exists), left, Some(Box::new(self.expression(0)?)))
            }
            "?:" => {
                let condition = (*left).clone();
                Kind::Condition(
                    Box::new(condition),
                    left,
                    Some(Box::new(self.expression(0)?)),
                )
            }
            "?" => {
                let then = self.expression(0)?;
                let otherwise = if self.is_op(":") {
                    self.advance(Some(":"), false)?;
                    Some(Box::new(self.expression(0)?))
                } else {
                    None
                };
                Kind::Condition(left, Box::new(then), otherwise)
            }
            ":=" => {
                if !matches!(left.kind, Kind::Variable(_)) {
                    return Err(syntax(
                        "S0212",
                        left.pos,
                        "the left side of := must be a variable name (starting with $)",
                    ));
                }
                Kind::Assign(left, Box::new(self.expression(bp - 1)?))
            }
            "@" | "#" => {
                let rhs = self.expression(bp)?;
                let Kind::Variable(name) = rhs.kind else {
                    return Err(syntax(
                        "S0214",
                        rhs.pos,
                        format!("the right side of {op} must be a variable name (starting with $)"),
                    )
                    .token(op));
                };
                if op == "@" {
                    Kind::FocusBind(left, name)
                } else {
                    Kind::IndexBind(left, name)
                }
            }
            "(" => return self.call(left, pos),
            "[" => {
                if self.is_op("]") {
                    // `step[]`: keep singleton arrays.
                    let mut left = left;
                    mark_keep_array(&mut left);
                    self.advance(Some("]"), true)?;
                    return Ok(*left);
                }
                let rhs = self.expression(0)?;
                self.advance(Some("]"), true)?;
                Kind::Filter(left, Box::new(rhs))
            }
            "^" => {
                self.advance(Some("("), false)?;
                let mut terms = Vec::new();
                loop {
                    let mut descending = false;
                    if self.is_op("<") {
                        self.advance(Some("<"), false)?;
                    } else if self.is_op(">") {
                        descending = true;
                        self.advance(Some(">"), false)?;
                    }
                    terms.push(SortTerm {
                        descending,
                        expr: self.expression(0)?,
                    });
                    if !self.is_op(",") {
                        break;
                    }
                    self.advance(Some(","), false)?;
                }
                self.advance(Some(")"), true)?;
                Kind::OrderBy(left, terms)
            }
            "{" => Kind::GroupBy(left, self.object_pairs()?),
            _ => match BinOp::from_op(op) {
                Some(binop) => Kind::Binary(binop, left, Box::new(self.expression(bp)?)),
                None => {
                    return Err(syntax("S0201", pos, format!("syntax error: {op}")).token(op));
                }
            },
        };
        Ok(Node::new(kind, pos))
    }

    /// `left(` ... : a call, a partial application, or a lambda definition.
    fn call(&mut self, procedure: Box<Node>, pos: usize) -> Result<Node> {
        let mut args = Vec::new();
        let mut partial = false;
        if !self.is_op(")") {
            loop {
                if self.is_op("?") {
                    partial = true;
                    args.push(Node::new(Kind::Placeholder, self.pos));
                    self.advance(Some("?"), false)?;
                } else {
                    args.push(self.expression(0)?);
                }
                if !self.is_op(",") {
                    break;
                }
                self.advance(Some(","), false)?;
            }
        }
        self.advance(Some(")"), true)?;
        let is_lambda = matches!(&procedure.kind, Kind::Name(n) if n == "function" || n == "λ");
        if !is_lambda {
            let kind = if partial {
                Kind::Partial(procedure, args)
            } else {
                Kind::Function(procedure, args)
            };
            return Ok(Node::new(kind, pos));
        }
        for (i, arg) in args.iter().enumerate() {
            if !matches!(arg.kind, Kind::Variable(_)) {
                return Err(syntax(
                    "S0208",
                    arg.pos,
                    format!(
                        "parameter {} of a function definition must be a variable name (starting with $)",
                        i + 1
                    ),
                ));
            }
        }
        let signature = if self.is_op("<") {
            let start = self.pos;
            let mut depth = 1;
            while depth > 0 && !self.is_op("{") && self.tok != Tok::End {
                self.advance(None, false)?;
                if self.is_op(">") {
                    depth -= 1;
                } else if self.is_op("<") {
                    depth += 1;
                }
            }
            let end = self.pos;
            self.advance(Some(">"), false)?;
            let text: String = self
                .source
                .chars()
                .skip(start)
                .take(end + 1 - start)
                .collect();
            Some(Signature::parse(&text).map_err(|e: Error| e.at(start))?)
        } else {
            None
        };
        self.advance(Some("{"), false)?;
        let body = self.expression(0)?;
        self.advance(Some("}"), true)?;
        Ok(Node::new(
            Kind::RawLambda(args, signature, Box::new(body)),
            pos,
        ))
    }
}

/// `step[]` marks the innermost step of a chain of filters.
fn mark_keep_array(node: &mut Node) {
    match &mut node.kind {
        Kind::Filter(lhs, _) => mark_keep_array(lhs),
        _ => node.keep_array = true,
    }
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Op(op) => (*op).to_owned(),
        Tok::Name(n) => n.clone(),
        Tok::Variable(v) => format!("${v}"),
        Tok::Str(s) => format!("\"{s}\""),
        Tok::Num(n) => n.to_string(),
        Tok::True => "true".to_owned(),
        Tok::False => "false".to_owned(),
        Tok::Null => "null".to_owned(),
        Tok::Regex { pattern, .. } => format!("/{pattern}/"),
        Tok::End => "(end)".to_owned(),
    }
}
