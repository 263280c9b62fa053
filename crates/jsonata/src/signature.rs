//! Function signatures (`<s-n?:s>`): checked at each call. Each argument's
//! type becomes a letter and the signature a regular expression over those
//! letters; a missing argument marked `-` takes the context value, and an
//! `a` parameter given a single value gets it as a one-item array.

use regex::Regex;

use crate::error::{Error, Result};
use crate::value::Value;

/// Cheap to clone: the compiled form is shared.
#[derive(Debug, Clone)]
pub struct Signature(std::sync::Arc<Compiled>);

#[derive(Debug)]
pub struct Compiled {
    params: Vec<Param>,
    regex: Regex,
    text: String,
}

impl std::ops::Deref for Signature {
    type Target = Compiled;

    fn deref(&self) -> &Compiled {
        &self.0
    }
}

#[derive(Debug, Clone)]
struct Param {
    regex: String,
    kind: char,
    context: Option<Regex>,
    subtype: Option<String>,
}

impl Signature {
    /// Parses a signature; each distinct text is compiled once per thread
    /// (its regular expression is what costs), then shared.
    pub fn parse(text: &str) -> Result<Self> {
        thread_local! {
            static PARSED: std::cell::RefCell<std::collections::HashMap<String, Signature>> =
                std::cell::RefCell::new(std::collections::HashMap::new());
        }
        if let Some(known) = PARSED.with(|p| p.borrow().get(text).cloned()) {
            return Ok(known);
        }
        let parsed = Self::compile(text)?;
        PARSED.with(|p| {
            let mut p = p.borrow_mut();
            // A bound on what the cache holds: signatures come from
            // definitions and the host, a few hundred at most.
            if p.len() < 4096 {
                p.insert(text.to_owned(), parsed.clone());
            }
        });
        Ok(parsed)
    }

    fn compile(text: &str) -> Result<Self> {
        let chars: Vec<char> = text.chars().collect();
        let mut params: Vec<Param> = Vec::new();
        let mut i = 1;
        let new = |regex: String, kind: char| Param {
            regex,
            kind,
            context: None,
            subtype: None,
        };
        while let Some(&c) = chars.get(i) {
            if c == ':' {
                break;
            }
            match c {
                's' | 'n' | 'b' | 'l' | 'o' => params.push(new(format!("[{c}m]"), c)),
                'a' => params.push(new("[asnblfom]".to_owned(), 'a')),
                'f' => params.push(new("f".to_owned(), 'f')),
                'j' => params.push(new("[asnblom]".to_owned(), 'j')),
                'x' => params.push(new("[asnblfom]".to_owned(), 'x')),
                '-' => {
                    if let Some(p) = params.last_mut() {
                        p.context = Regex::new(&format!("^{}$", p.regex)).ok();
                        p.regex.push('?');
                    }
                }
                '?' | '+' => {
                    if let Some(p) = params.last_mut() {
                        p.regex.push(c);
                    }
                }
                '(' => {
                    let end = closing(&chars, i, '(', ')');
                    let choice: String = chars.get(i + 1..end).unwrap_or_default().iter().collect();
                    if choice.contains('<') {
                        return Err(Error::new(
                            "S0402",
                            "choice groups with parameterized types are not supported",
                        ));
                    }
                    params.push(new(format!("[{choice}m]"), '('));
                    i = end;
                }
                '<' => {
                    let end = closing(&chars, i, '<', '>');
                    match params.last_mut() {
                        Some(p) if p.kind == 'a' || p.kind == 'f' => {
                            p.subtype =
                                Some(chars.get(i + 1..end).unwrap_or_default().iter().collect());
                        }
                        _ => {
                            return Err(Error::new(
                                "S0401",
                                "type parameters apply only to functions and arrays",
                            ));
                        }
                    }
                    i = end;
                }
                _ => {}
            }
            i += 1;
        }
        let pattern: String = params.iter().map(|p| format!("({})", p.regex)).collect();
        let regex = Regex::new(&format!("^{pattern}$"))
            .map_err(|e| Error::new("S0401", format!("invalid signature {text}: {e}")))?;
        Ok(Self(std::sync::Arc::new(Compiled {
            params,
            regex,
            text: text.to_owned(),
        })))
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Checks `args` and returns them as the function receives them.
    pub fn validate(
        &self,
        args: &[Option<Value>],
        context: Option<&Value>,
    ) -> Result<Vec<Option<Value>>> {
        let supplied: String = args.iter().map(|a| Value::symbol(a.as_ref())).collect();
        let Some(caps) = self.regex.captures(&supplied) else {
            return Err(self.mismatch(args, &supplied));
        };
        let mut out = Vec::with_capacity(self.params.len());
        let mut index = 0;
        let arg = |i: usize| args.get(i).cloned().flatten();
        for (p, param) in self.params.iter().enumerate() {
            let matched = caps.get(p + 1).map_or("", |m| m.as_str());
            if matched.is_empty() {
                if let Some(context_regex) = &param.context {
                    let symbol = Value::symbol(context).to_string();
                    if context_regex.is_match(&symbol) {
                        out.push(context.cloned());
                        continue;
                    }
                    return Err(Error::new(
                        "T0411",
                        format!(
                            "the context value is not a compatible type with argument {}",
                            index + 1
                        ),
                    ));
                }
                out.push(arg(index));
                index += 1;
                continue;
            }
            for single in matched.chars() {
                let value = arg(index);
                if param.kind != 'a' {
                    out.push(value);
                    index += 1;
                    continue;
                }
                if single == 'm' {
                    out.push(None);
                    index += 1;
                    continue;
                }
                if let Some(subtype) = &param.subtype {
                    let ok = if single != 'a' {
                        matched == subtype
                    } else {
                        match value.as_ref().and_then(Value::as_array) {
                            Some(a) => match a.items.first() {
                                None => true,
                                Some(first) => {
                                    let kind = Value::symbol(Some(first));
                                    subtype.starts_with(kind)
                                        && a.items.iter().all(|v| Value::symbol(Some(v)) == kind)
                                }
                            },
                            None => true,
                        }
                    };
                    if !ok {
                        return Err(Error::new(
                            "T0412",
                            format!(
                                "argument {} must be an array of {}",
                                index + 1,
                                type_name(subtype)
                            ),
                        ));
                    }
                }
                out.push(match value {
                    Some(v) if single != 'a' => Some(Value::array(vec![v], 0)),
                    other => other,
                });
                index += 1;
            }
        }
        Ok(out)
    }

    /// T0410 naming the first argument that does not fit.
    fn mismatch(&self, args: &[Option<Value>], supplied: &str) -> Error {
        let mut good = 0;
        let mut pattern = String::from("^");
        for param in &self.params {
            pattern.push_str(&param.regex);
            match Regex::new(&pattern).ok().and_then(|r| r.find(supplied)) {
                Some(m) => good = m.end(),
                None => break,
            }
        }
        let _ = args;
        Error::new(
            "T0410",
            format!(
                "argument {} of the function does not match its signature",
                good + 1
            ),
        )
    }
}

fn closing(chars: &[char], start: usize, open: char, close: char) -> usize {
    let mut depth = 1;
    let mut i = start;
    while i + 1 < chars.len() {
        i += 1;
        match chars.get(i) {
            Some(c) if *c == close => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            Some(c) if *c == open => depth += 1,
            _ => {}
        }
    }
    i
}

fn type_name(subtype: &str) -> &'static str {
    match subtype.chars().next() {
        Some('a') => "arrays",
        Some('b') => "booleans",
        Some('f') => "functions",
        Some('n') => "numbers",
        Some('o') => "objects",
        Some('s') => "strings",
        _ => "values",
    }
}
