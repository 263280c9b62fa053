//! The syntax tree. The parser builds it in a raw form (`Dot`, `Filter`,
//! `GroupBy`, ...); [`crate::process`] turns that into paths of steps with
//! their stages, tuple bindings and parent slots, which the evaluator runs.

use std::sync::Arc;

use crate::signature::Signature;

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: Kind,
    pub pos: usize,
    /// `step[]`: keep a one-item result as an array.
    pub keep_array: bool,
    /// Filters on an expression that is not a path step.
    pub predicate: Vec<Stage>,
    /// Filters and index bindings on a path step, in order.
    pub stages: Vec<Stage>,
    pub group: Option<Box<Group>>,
    /// `step@$name`: the step binds its item to `$name`, the context stays.
    pub focus: Option<Arc<str>>,
    /// `step#$name`: the step binds the item's position to `$name`.
    pub index: Option<Arc<str>>,
    /// The step runs as a tuple stream (bindings travel with each item).
    pub tuple: bool,
    /// The step binds its input item to this parent label (`%`).
    pub ancestor: Option<Slot>,
    /// An array constructor that a path must not flatten.
    pub consarray: bool,
    pub keep_singleton_array: bool,
    /// Parent slots not yet resolved (while processing only).
    pub seeking_parent: Vec<usize>,
}

/// A parent slot: an index into the parser's table while processing, the
/// binding's name afterwards.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Slot {
    Id(usize),
    Label(Arc<str>),
}

#[derive(Debug, Clone)]
pub(crate) enum Stage {
    Filter(Box<Node>),
    Index(Arc<str>),
}

#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub pairs: Vec<(Node, Node)>,
    pub pos: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct SortTerm {
    pub descending: bool,
    pub expr: Node,
}

#[derive(Debug)]
pub(crate) struct LambdaDef {
    pub params: Vec<Arc<str>>,
    pub signature: Option<Signature>,
    pub body: Node,
}

#[derive(Debug)]
pub(crate) struct TransformDef {
    pub pattern: Node,
    pub update: Node,
    pub delete: Option<Node>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Concat,
    And,
    Or,
    In,
    Range,
}

impl BinOp {
    pub fn from_op(op: &str) -> Option<Self> {
        Some(match op {
            "+" => Self::Add,
            "-" => Self::Sub,
            "*" => Self::Mul,
            "/" => Self::Div,
            "%" => Self::Mod,
            "=" => Self::Eq,
            "!=" => Self::Ne,
            "<" => Self::Lt,
            "<=" => Self::Le,
            ">" => Self::Gt,
            ">=" => Self::Ge,
            "&" => Self::Concat,
            "and" => Self::And,
            "or" => Self::Or,
            "in" => Self::In,
            ".." => Self::Range,
            _ => return None,
        })
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Self::Add => "+",
            Self::Sub => "-",
            Self::Mul => "*",
            Self::Div => "/",
            Self::Mod => "%",
            Self::Eq => "=",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Concat => "&",
            Self::And => "and",
            Self::Or => "or",
            Self::In => "in",
            Self::Range => "..",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    // Both raw and processed.
    Binary(BinOp, Box<Node>, Box<Node>),
    Negate(Box<Node>),
    Array(Vec<Node>),
    Object(Vec<(Node, Node)>),
    Name(String),
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Wildcard,
    Descendant,
    Parent(Slot),
    Condition(Box<Node>, Box<Node>, Option<Box<Node>>),
    Block(Vec<Node>),
    Regex(Arc<regex::Regex>),
    Function(Box<Node>, Vec<Node>),
    Partial(Box<Node>, Vec<Node>),
    Placeholder,
    Variable(String),
    /// The end of the expression where an operand was expected.
    End,
    // Raw only: replaced while processing.
    Dot(Box<Node>, Box<Node>),
    Filter(Box<Node>, Box<Node>),
    GroupBy(Box<Node>, Vec<(Node, Node)>),
    OrderBy(Box<Node>, Vec<SortTerm>),
    FocusBind(Box<Node>, String),
    IndexBind(Box<Node>, String),
    Assign(Box<Node>, Box<Node>),
    Apply(Box<Node>, Box<Node>),
    RawLambda(Vec<Node>, Option<Signature>, Box<Node>),
    RawTransform(Box<Node>, Box<Node>, Option<Box<Node>>),
    // Processed only.
    Path(Vec<Node>),
    Bind(Arc<str>, Box<Node>),
    Sort(Vec<SortTerm>),
    Lambda(Arc<LambdaDef>),
    Transform(Arc<TransformDef>),
}

impl Node {
    pub fn new(kind: Kind, pos: usize) -> Self {
        Self {
            kind,
            pos,
            keep_array: false,
            predicate: Vec::new(),
            stages: Vec::new(),
            group: None,
            focus: None,
            index: None,
            tuple: false,
            ancestor: None,
            consarray: false,
            keep_singleton_array: false,
            seeking_parent: Vec::new(),
        }
    }

    pub fn boxed(kind: Kind, pos: usize) -> Box<Self> {
        Box::new(Self::new(kind, pos))
    }

    pub fn is_path(&self) -> bool {
        matches!(self.kind, Kind::Path(_))
    }
}
