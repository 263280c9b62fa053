//! A guard on stack use, in bytes: evaluation and parsing recurse as deep as
//! the expression, and a frame's size differs between debug and release
//! builds, so depth alone cannot keep them within a thread's stack.

/// The stack an evaluation may use by default (Tokio's worker threads have
/// 2 MiB in all).
pub const DEFAULT_STACK_BUDGET: usize = 1 << 20;
/// The stack parsing may use.
pub(crate) const PARSE_STACK_BUDGET: usize = 1 << 20;

#[derive(Debug, Clone, Copy)]
pub(crate) struct StackGuard {
    base: usize,
    budget: usize,
}

fn here() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

impl StackGuard {
    pub fn new(budget: usize) -> Self {
        Self {
            base: here(),
            budget,
        }
    }

    /// Whether the stack used since `new` is within the budget.
    pub fn ok(&self) -> bool {
        here().abs_diff(self.base) <= self.budget
    }
}
