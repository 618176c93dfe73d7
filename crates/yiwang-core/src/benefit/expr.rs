//! 免申即享's eligibility language: a small, safe, typed expression language over an
//! enterprise's register row ([`Profile`]), which a policy officer can read.
//!
//! Why not CEL: the `cel` crate brings a parser generator and a runtime of its own into
//! core, and we need only comparisons, `in`, arithmetic and a few date helpers, plus
//! the list of fields each condition read (the trace). This language is that and
//! nothing more: no loops, no recursion, no IO; an expression is parsed and type
//! checked once ([`Expr::compile`]) and then evaluated per enterprise without
//! allocating (strings and lists are borrowed from the profile and the expression).
//!
//! ```text
//! expr    := or
//! or      := and (("||" | "or") and)*
//! and     := not (("&&" | "and") not)*
//! not     := ("!" | "not") not | cmp
//! cmp     := sum (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in") sum)?
//! sum     := product (("+" | "-") product)*
//! product := unary (("*" | "/") unary)*
//! unary   := "-" unary | atom
//! atom    := number | "string" | true | false | null | field | fn "(" expr,* ")"
//!          | "(" expr ")" | "[" expr,* "]"
//! ```
//!
//! Fields ([`FIELDS`]): `code name entity_type industry address street class` (text),
//! `capital employees` (numbers), `founded last_penalty today` (dates), `tags licences`
//! (lists of text), `abnormal` (true/false). `street` and `last_penalty` may be `null`.
//! Functions: `months_since(date)` and `years_since(date)` (whole months/years to
//! today), `days_since(date)`, `date("2020-01-01")`, `starts_with(text, prefix)`,
//! `contains(text, part)`, `size(list)`, `min(a, b)`, `max(a, b)`, `floor(x)`,
//! `round(x)`. `x in [..]` / `x in tags` is membership. `null` compares equal only to
//! `null`; any other operation on `null` gives `null`, and a condition that gives
//! `null` does not hold ("无数据"). `&&` and `||` short-circuit, so
//! `last_penalty == null || months_since(last_penalty) >= 24` reads "no penalty within
//! 24 months".

use super::super::enterprise::Profile;
use chrono::{Datelike, NaiveDate};
use std::fmt;

/// The static type of an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Bool,
    Num,
    Text,
    Date,
    List,
    /// `null` alone.
    Null,
}

impl Type {
    fn label(self) -> &'static str {
        match self {
            Type::Bool => "真假值",
            Type::Num => "数值",
            Type::Text => "文本",
            Type::Date => "日期",
            Type::List => "列表",
            Type::Null => "null",
        }
    }
}

/// A field of the register row: its name in expressions, its label for people, its type.
pub const FIELDS: &[(&str, &str, Type)] = &[
    ("code", "统一社会信用代码", Type::Text),
    ("name", "企业名称", Type::Text),
    ("entity_type", "企业类型", Type::Text),
    ("industry", "行业代码", Type::Text),
    ("address", "住所", Type::Text),
    ("street", "所在街道", Type::Text),
    ("class", "信用风险分类", Type::Text),
    ("capital", "注册资本（元）", Type::Num),
    ("employees", "从业人数", Type::Num),
    ("founded", "成立日期", Type::Date),
    ("last_penalty", "最近一次行政处罚", Type::Date),
    ("today", "评估日期", Type::Date),
    ("tags", "企业标签", Type::List),
    ("licences", "持有证照", Type::List),
    ("abnormal", "列入经营异常名录", Type::Bool),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Code,
    Name,
    EntityType,
    Industry,
    Address,
    Street,
    Class,
    Capital,
    Employees,
    Founded,
    LastPenalty,
    Today,
    Tags,
    Licences,
    Abnormal,
}

const FIELD_IDS: [Field; 15] = [
    Field::Code,
    Field::Name,
    Field::EntityType,
    Field::Industry,
    Field::Address,
    Field::Street,
    Field::Class,
    Field::Capital,
    Field::Employees,
    Field::Founded,
    Field::LastPenalty,
    Field::Today,
    Field::Tags,
    Field::Licences,
    Field::Abnormal,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    MonthsSince,
    YearsSince,
    DaysSince,
    Date,
    StartsWith,
    Contains,
    Size,
    Min,
    Max,
    Floor,
    Round,
}

const FUNCS: &[(&str, Func)] = &[
    ("months_since", Func::MonthsSince),
    ("years_since", Func::YearsSince),
    ("days_since", Func::DaysSince),
    ("date", Func::Date),
    ("starts_with", Func::StartsWith),
    ("contains", Func::Contains),
    ("size", Func::Size),
    ("min", Func::Min),
    ("max", Func::Max),
    ("floor", Func::Floor),
    ("round", Func::Round),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    Num(f64),
    Text(String),
    Date(NaiveDate),
    List(Vec<Node>),
    Field(Field),
    Not(Box<Node>),
    Neg(Box<Node>),
    Bin(Op, Box<Node>, Box<Node>),
    Call(Func, Vec<Node>),
}

/// Why an expression does not compile: a message for the policy officer, in Chinese,
/// with the character position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub at: usize,
    pub message: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "第 {} 个字符处：{}", self.at + 1, self.message)
    }
}

/// A compiled expression: parsed and type checked once, evaluated many times.
#[derive(Debug, Clone)]
pub struct Expr {
    root: Node,
    ty: Type,
    fields: Vec<Field>,
}

/// A value during evaluation, borrowing from the profile and the expression.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    Null,
    Bool(bool),
    Num(f64),
    Text(&'a str),
    Date(NaiveDate),
    List(ListRef<'a>),
}

/// A list: the profile's own (tags, licences) or a literal's.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ListRef<'a> {
    Strings(&'a [String]),
    Nodes(&'a [Node]),
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("无"),
            Value::Bool(b) => f.write_str(if *b { "是" } else { "否" }),
            Value::Num(n) => {
                if n.fract() == 0.0 && n.abs() < 1e15 {
                    write!(f, "{}", *n as i64)
                } else {
                    write!(f, "{n:.2}")
                }
            }
            Value::Text(s) => f.write_str(s),
            Value::Date(d) => write!(f, "{d}"),
            Value::List(ListRef::Strings(v)) => {
                if v.is_empty() {
                    f.write_str("（无）")
                } else {
                    f.write_str(&v.join("、"))
                }
            }
            Value::List(ListRef::Nodes(v)) => write!(f, "[{} 项]", v.len()),
        }
    }
}

// ---------------------------------------------------------------- lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Text(String),
    Ident(String),
    Sym(&'static str),
    End,
}

fn lex(src: &str) -> Result<Vec<(usize, Tok)>, ExprError> {
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let mut out = vec![];
    let mut i = 0;
    let err = |at: usize, m: &str| ExprError { at, message: m.to_owned() };
    while i < chars.len() {
        let (pos, c) = chars[i];
        let at = src[..pos].chars().count();
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() {
            let mut j = i;
            while j < chars.len() && (chars[j].1.is_ascii_digit() || chars[j].1 == '.' || chars[j].1 == '_') {
                j += 1;
            }
            let end = chars.get(j).map(|x| x.0).unwrap_or(src.len());
            let text: String = src[pos..end].chars().filter(|c| *c != '_').collect();
            let n: f64 = text.parse().map_err(|_| err(at, "数字写法不正确"))?;
            out.push((at, Tok::Num(n)));
            i = j;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let mut j = i;
            while j < chars.len() && (chars[j].1.is_ascii_alphanumeric() || chars[j].1 == '_') {
                j += 1;
            }
            let end = chars.get(j).map(|x| x.0).unwrap_or(src.len());
            out.push((at, Tok::Ident(src[pos..end].to_owned())));
            i = j;
            continue;
        }
        if c == '"' || c == '\'' || c == '“' || c == '‘' {
            let close = match c {
                '“' => '”',
                '‘' => '’',
                q => q,
            };
            let mut j = i + 1;
            let mut s = String::new();
            while j < chars.len() && chars[j].1 != close {
                s.push(chars[j].1);
                j += 1;
            }
            if j >= chars.len() {
                return Err(err(at, "字符串缺少结束的引号"));
            }
            out.push((at, Tok::Text(s)));
            i = j + 1;
            continue;
        }
        let two: String = chars[i..chars.len().min(i + 2)].iter().map(|x| x.1).collect();
        let sym2 = ["==", "!=", "<=", ">=", "&&", "||"].into_iter().find(|s| *s == two);
        if let Some(s) = sym2 {
            out.push((at, Tok::Sym(s)));
            i += 2;
            continue;
        }
        let sym1 = match c {
            '<' => "<",
            '>' => ">",
            '!' => "!",
            '+' => "+",
            '-' => "-",
            '*' => "*",
            '/' => "/",
            '(' | '（' => "(",
            ')' | '）' => ")",
            '[' => "[",
            ']' => "]",
            ',' | '，' => ",",
            _ => return Err(err(at, &format!("不认识的符号“{c}”"))),
        };
        out.push((at, Tok::Sym(sym1)));
        i += 1;
    }
    out.push((src.chars().count(), Tok::End));
    Ok(out)
}

// ---------------------------------------------------------------- parser

struct Parser {
    toks: Vec<(usize, Tok)>,
    i: usize,
    depth: u32,
}

const MAX_DEPTH: u32 = 64;

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.i].1
    }
    fn at(&self) -> usize {
        self.toks[self.i].0
    }
    fn err<T>(&self, m: impl Into<String>) -> Result<T, ExprError> {
        Err(ExprError { at: self.at(), message: m.into() })
    }
    fn eat_sym(&mut self, s: &str) -> bool {
        if matches!(self.peek(), Tok::Sym(x) if *x == s) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn eat_word(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Tok::Ident(x) if x == w) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, s: &str) -> Result<(), ExprError> {
        if self.eat_sym(s) { Ok(()) } else { self.err(format!("这里应为“{s}”")) }
    }
    fn deeper(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH { self.err("表达式嵌套太深") } else { Ok(()) }
    }

    fn or(&mut self) -> Result<Node, ExprError> {
        let mut l = self.and()?;
        while self.eat_sym("||") || self.eat_word("or") {
            let r = self.and()?;
            l = Node::Bin(Op::Or, Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn and(&mut self) -> Result<Node, ExprError> {
        let mut l = self.not()?;
        while self.eat_sym("&&") || self.eat_word("and") {
            let r = self.not()?;
            l = Node::Bin(Op::And, Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn not(&mut self) -> Result<Node, ExprError> {
        if self.eat_sym("!") || self.eat_word("not") {
            self.deeper()?;
            let n = self.not()?;
            self.depth -= 1;
            return Ok(Node::Not(Box::new(n)));
        }
        self.cmp()
    }
    fn cmp(&mut self) -> Result<Node, ExprError> {
        let l = self.sum()?;
        let op = match self.peek() {
            Tok::Sym("==") => Op::Eq,
            Tok::Sym("!=") => Op::Ne,
            Tok::Sym("<") => Op::Lt,
            Tok::Sym("<=") => Op::Le,
            Tok::Sym(">") => Op::Gt,
            Tok::Sym(">=") => Op::Ge,
            Tok::Ident(w) if w == "in" => Op::In,
            _ => return Ok(l),
        };
        self.i += 1;
        let r = self.sum()?;
        Ok(Node::Bin(op, Box::new(l), Box::new(r)))
    }
    fn sum(&mut self) -> Result<Node, ExprError> {
        let mut l = self.product()?;
        loop {
            let op = if self.eat_sym("+") {
                Op::Add
            } else if self.eat_sym("-") {
                Op::Sub
            } else {
                return Ok(l);
            };
            let r = self.product()?;
            l = Node::Bin(op, Box::new(l), Box::new(r));
        }
    }
    fn product(&mut self) -> Result<Node, ExprError> {
        let mut l = self.unary()?;
        loop {
            let op = if self.eat_sym("*") {
                Op::Mul
            } else if self.eat_sym("/") {
                Op::Div
            } else {
                return Ok(l);
            };
            let r = self.unary()?;
            l = Node::Bin(op, Box::new(l), Box::new(r));
        }
    }
    fn unary(&mut self) -> Result<Node, ExprError> {
        if self.eat_sym("-") {
            self.deeper()?;
            let n = self.unary()?;
            self.depth -= 1;
            return Ok(Node::Neg(Box::new(n)));
        }
        self.atom()
    }
    fn args(&mut self, close: &str) -> Result<Vec<Node>, ExprError> {
        let mut v = vec![];
        if self.eat_sym(close) {
            return Ok(v);
        }
        loop {
            v.push(self.or()?);
            if self.eat_sym(close) {
                return Ok(v);
            }
            self.expect(",")?;
        }
    }
    fn atom(&mut self) -> Result<Node, ExprError> {
        self.deeper()?;
        let tok = self.peek().clone();
        let n = match tok {
            Tok::Num(n) => {
                self.i += 1;
                Node::Num(n)
            }
            Tok::Text(s) => {
                self.i += 1;
                Node::Text(s)
            }
            Tok::Sym("(") => {
                self.i += 1;
                let n = self.or()?;
                self.expect(")")?;
                n
            }
            Tok::Sym("[") => {
                self.i += 1;
                Node::List(self.args("]")?)
            }
            Tok::Ident(w) => {
                self.i += 1;
                match w.as_str() {
                    "true" => Node::Bool(true),
                    "false" => Node::Bool(false),
                    "null" => Node::Null,
                    _ => {
                        if self.eat_sym("(") {
                            let Some((_, f)) = FUNCS.iter().find(|(n, _)| *n == w) else {
                                self.i -= 1;
                                return self.err(format!("没有函数“{w}”"));
                            };
                            Node::Call(*f, self.args(")")?)
                        } else if let Some(i) = FIELDS.iter().position(|(n, _, _)| *n == w) {
                            Node::Field(FIELD_IDS[i])
                        } else {
                            self.i -= 1;
                            return self.err(format!("没有字段“{w}”"));
                        }
                    }
                }
            }
            Tok::End => return self.err("表达式不完整"),
            Tok::Sym(s) => return self.err(format!("这里不能是“{s}”")),
        };
        self.depth -= 1;
        Ok(n)
    }
}

// ---------------------------------------------------------------- types

fn field_type(f: Field) -> Type {
    FIELDS[FIELD_IDS.iter().position(|x| *x == f).expect("every field is listed")].2
}

fn type_of(n: &Node) -> Result<Type, String> {
    let same_or_null = |a: Type, b: Type| a == b || a == Type::Null || b == Type::Null;
    Ok(match n {
        Node::Null => Type::Null,
        Node::Bool(_) => Type::Bool,
        Node::Num(_) => Type::Num,
        Node::Text(_) => Type::Text,
        Node::Date(_) => Type::Date,
        Node::List(items) => {
            for i in items {
                if type_of(i)? != Type::Text {
                    return Err("列表只能由文本组成，如 [\"A\", \"B\"]".into());
                }
            }
            Type::List
        }
        Node::Field(f) => field_type(*f),
        Node::Not(x) => {
            let t = type_of(x)?;
            if !same_or_null(t, Type::Bool) {
                return Err(format!("“非”只能用于真假值，这里是{}", t.label()));
            }
            Type::Bool
        }
        Node::Neg(x) => {
            let t = type_of(x)?;
            if !same_or_null(t, Type::Num) {
                return Err(format!("负号只能用于数值，这里是{}", t.label()));
            }
            Type::Num
        }
        Node::Bin(op, l, r) => {
            let (a, b) = (type_of(l)?, type_of(r)?);
            match op {
                Op::Or | Op::And => {
                    if !same_or_null(a, Type::Bool) || !same_or_null(b, Type::Bool) {
                        return Err("“并且”“或者”两边须为条件（真假值）".into());
                    }
                    Type::Bool
                }
                Op::Eq | Op::Ne => {
                    if !same_or_null(a, b) {
                        return Err(format!("不能比较{}与{}", a.label(), b.label()));
                    }
                    Type::Bool
                }
                Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                    if !same_or_null(a, b) || !matches!(a, Type::Num | Type::Date | Type::Null) {
                        return Err(format!("大小比较只能用于同类的数值或日期，这里是{}与{}", a.label(), b.label()));
                    }
                    Type::Bool
                }
                Op::In => {
                    if !same_or_null(a, Type::Text) || b != Type::List {
                        return Err("“in”左边须为文本，右边须为列表（如 tags 或 [\"A\", \"B\"]）".into());
                    }
                    Type::Bool
                }
                Op::Add | Op::Sub | Op::Mul | Op::Div => {
                    if !same_or_null(a, Type::Num) || !same_or_null(b, Type::Num) {
                        return Err(format!("算术只能用于数值，这里是{}与{}", a.label(), b.label()));
                    }
                    Type::Num
                }
            }
        }
        Node::Call(f, args) => {
            let want: &[Type] = match f {
                Func::MonthsSince | Func::YearsSince | Func::DaysSince => &[Type::Date],
                Func::Date => &[Type::Text],
                Func::StartsWith | Func::Contains => &[Type::Text, Type::Text],
                Func::Size => &[Type::List],
                Func::Min | Func::Max => &[Type::Num, Type::Num],
                Func::Floor | Func::Round => &[Type::Num],
            };
            let name = FUNCS.iter().find(|(_, g)| g == f).map(|x| x.0).unwrap_or("");
            if args.len() != want.len() {
                return Err(format!("函数 {name} 需要 {} 个参数", want.len()));
            }
            for (a, w) in args.iter().zip(want) {
                let t = type_of(a)?;
                if !same_or_null(t, *w) {
                    return Err(format!("函数 {name} 的参数应为{}，这里是{}", w.label(), t.label()));
                }
            }
            match f {
                Func::MonthsSince | Func::YearsSince | Func::DaysSince | Func::Size => Type::Num,
                Func::Min | Func::Max | Func::Floor | Func::Round => Type::Num,
                Func::Date => Type::Date,
                Func::StartsWith | Func::Contains => Type::Bool,
            }
        }
    })
}

/// `date("…")` of a literal is folded at compile time, so a bad date is refused then.
fn fold_dates(n: Node) -> Result<Node, String> {
    Ok(match n {
        Node::Call(Func::Date, args) => match args.as_slice() {
            [Node::Text(s)] => {
                Node::Date(NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("日期“{s}”应写作 2020-01-31"))?)
            }
            _ => Node::Call(Func::Date, args),
        },
        Node::Call(f, args) => Node::Call(f, args.into_iter().map(fold_dates).collect::<Result<_, _>>()?),
        Node::Bin(op, l, r) => Node::Bin(op, Box::new(fold_dates(*l)?), Box::new(fold_dates(*r)?)),
        Node::Not(x) => Node::Not(Box::new(fold_dates(*x)?)),
        Node::Neg(x) => Node::Neg(Box::new(fold_dates(*x)?)),
        Node::List(v) => Node::List(v.into_iter().map(fold_dates).collect::<Result<_, _>>()?),
        other => other,
    })
}

fn collect_fields(n: &Node, out: &mut Vec<Field>) {
    match n {
        Node::Field(f) if !out.contains(f) && *f != Field::Today => out.push(*f),
        Node::Not(x) | Node::Neg(x) => collect_fields(x, out),
        Node::Bin(_, l, r) => {
            collect_fields(l, out);
            collect_fields(r, out);
        }
        Node::Call(_, v) | Node::List(v) => v.iter().for_each(|x| collect_fields(x, out)),
        _ => {}
    }
}

/// The longest expression accepted, in characters.
pub const MAX_LEN: usize = 2000;

impl Expr {
    /// Parses and type checks `src`; `want` is the type it must have (a condition:
    /// `Type::Bool`; an amount: `Type::Num`).
    pub fn compile(src: &str, want: Type) -> Result<Expr, ExprError> {
        if src.chars().count() > MAX_LEN {
            return Err(ExprError { at: 0, message: format!("表达式太长（最多 {MAX_LEN} 个字符）") });
        }
        if src.trim().is_empty() {
            return Err(ExprError { at: 0, message: "表达式不能为空".into() });
        }
        let toks = lex(src)?;
        let mut p = Parser { toks, i: 0, depth: 0 };
        let root = p.or()?;
        if *p.peek() != Tok::End {
            return p.err("表达式在这里之后多出了内容");
        }
        let root = fold_dates(root).map_err(|m| ExprError { at: 0, message: m })?;
        let ty = type_of(&root).map_err(|m| ExprError { at: 0, message: m })?;
        if ty != want && ty != Type::Null {
            return Err(ExprError {
                at: 0,
                message: format!("表达式的结果应为{}，这里是{}", want.label(), ty.label()),
            });
        }
        let mut fields = vec![];
        collect_fields(&root, &mut fields);
        Ok(Expr { root, ty, fields })
    }

    pub fn ty(&self) -> Type {
        self.ty
    }

    /// Evaluates it for one enterprise on `today`.
    pub(crate) fn eval<'a>(&'a self, p: &'a Profile, today: NaiveDate) -> Value<'a> {
        eval(&self.root, p, today)
    }

    /// A condition's result: `None` when it gives `null` (no data) or is not a condition.
    pub fn holds(&self, p: &Profile, today: NaiveDate) -> Option<bool> {
        match self.eval(p, today) {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// A formula's result: `None` when it gives `null` or is not a number.
    pub fn number(&self, p: &Profile, today: NaiveDate) -> Option<f64> {
        match self.eval(p, today) {
            Value::Num(n) => Some(n),
            _ => None,
        }
    }

    /// The fields it reads, with their label and this enterprise's value: the trace.
    pub fn values(&self, p: &Profile, today: NaiveDate) -> Vec<FieldValue> {
        self.fields
            .iter()
            .map(|f| {
                let i = FIELD_IDS.iter().position(|x| x == f).expect("every field is listed");
                FieldValue {
                    field: FIELDS[i].0.to_owned(),
                    label: FIELDS[i].1.to_owned(),
                    value: field(*f, p, today).to_string(),
                }
            })
            .collect()
    }
}

/// A field's value for one enterprise, as the trace shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldValue {
    pub field: String,
    pub label: String,
    pub value: String,
}

// ---------------------------------------------------------------- evaluation

fn field<'a>(f: Field, p: &'a Profile, today: NaiveDate) -> Value<'a> {
    match f {
        Field::Code => Value::Text(p.code.as_str()),
        Field::Name => Value::Text(&p.name),
        Field::EntityType => Value::Text(&p.entity_type),
        Field::Industry => Value::Text(&p.industry),
        Field::Address => Value::Text(&p.address),
        Field::Street => p.street.as_ref().map_or(Value::Null, |s| Value::Text(s.as_str())),
        Field::Class => Value::Text(p.class.as_str()),
        Field::Capital => Value::Num(p.capital as f64),
        Field::Employees => Value::Num(p.employees as f64),
        Field::Founded => Value::Date(p.founded),
        Field::LastPenalty => p.last_penalty.map_or(Value::Null, Value::Date),
        Field::Today => Value::Date(today),
        Field::Tags => Value::List(ListRef::Strings(&p.tags)),
        Field::Licences => Value::List(ListRef::Strings(&p.licences)),
        Field::Abnormal => Value::Bool(p.abnormal),
    }
}

/// Whole months from `from` to `to` (negative when `from` is later).
pub fn months_between(from: NaiveDate, to: NaiveDate) -> i64 {
    let mut m = (to.year() as i64 - from.year() as i64) * 12 + (to.month() as i64 - from.month() as i64);
    if to.day() < from.day() {
        m -= 1;
    }
    m
}

fn num(v: Value<'_>) -> Option<f64> {
    if let Value::Num(n) = v { Some(n) } else { None }
}

fn eval<'a>(n: &'a Node, p: &'a Profile, today: NaiveDate) -> Value<'a> {
    match n {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(*b),
        Node::Num(x) => Value::Num(*x),
        Node::Text(s) => Value::Text(s),
        Node::Date(d) => Value::Date(*d),
        Node::List(v) => Value::List(ListRef::Nodes(v)),
        Node::Field(f) => field(*f, p, today),
        Node::Not(x) => match eval(x, p, today) {
            Value::Bool(b) => Value::Bool(!b),
            _ => Value::Null,
        },
        Node::Neg(x) => num(eval(x, p, today)).map_or(Value::Null, |x| Value::Num(-x)),
        Node::Bin(Op::And, l, r) => match eval(l, p, today) {
            Value::Bool(false) => Value::Bool(false),
            Value::Bool(true) => match eval(r, p, today) {
                Value::Bool(b) => Value::Bool(b),
                _ => Value::Null,
            },
            _ => match eval(r, p, today) {
                Value::Bool(false) => Value::Bool(false),
                _ => Value::Null,
            },
        },
        Node::Bin(Op::Or, l, r) => match eval(l, p, today) {
            Value::Bool(true) => Value::Bool(true),
            Value::Bool(false) => match eval(r, p, today) {
                Value::Bool(b) => Value::Bool(b),
                _ => Value::Null,
            },
            _ => match eval(r, p, today) {
                Value::Bool(true) => Value::Bool(true),
                _ => Value::Null,
            },
        },
        Node::Bin(op, l, r) => {
            let (a, b) = (eval(l, p, today), eval(r, p, today));
            binary(*op, a, b)
        }
        Node::Call(f, args) => {
            let a: [Value<'a>; 2] = [
                args.first().map_or(Value::Null, |x| eval(x, p, today)),
                args.get(1).map_or(Value::Null, |x| eval(x, p, today)),
            ];
            call(*f, a, today)
        }
    }
}

fn in_list(x: &str, l: ListRef<'_>) -> bool {
    match l {
        ListRef::Strings(v) => v.iter().any(|s| s == x),
        ListRef::Nodes(v) => v.iter().any(|n| matches!(n, Node::Text(s) if s == x)),
    }
}

fn binary<'a>(op: Op, a: Value<'a>, b: Value<'a>) -> Value<'a> {
    use Value::*;
    match op {
        Op::Eq | Op::Ne => {
            let eq = match (a, b) {
                (Null, Null) => true,
                (Null, _) | (_, Null) => false,
                (Num(x), Num(y)) => x == y,
                (Text(x), Text(y)) => x == y,
                (Date(x), Date(y)) => x == y,
                (Bool(x), Bool(y)) => x == y,
                (List(x), List(y)) => list_eq(x, y),
                _ => false,
            };
            Bool(if op == Op::Eq { eq } else { !eq })
        }
        Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let ord = match (a, b) {
                (Num(x), Num(y)) => x.partial_cmp(&y),
                (Date(x), Date(y)) => Some(x.cmp(&y)),
                _ => None,
            };
            match ord {
                None => Null,
                Some(o) => Bool(match op {
                    Op::Lt => o.is_lt(),
                    Op::Le => o.is_le(),
                    Op::Gt => o.is_gt(),
                    _ => o.is_ge(),
                }),
            }
        }
        Op::In => match (a, b) {
            (Text(x), List(l)) => Bool(in_list(x, l)),
            _ => Null,
        },
        Op::Add | Op::Sub | Op::Mul | Op::Div => match (a, b) {
            (Num(x), Num(y)) => {
                let r = match op {
                    Op::Add => x + y,
                    Op::Sub => x - y,
                    Op::Mul => x * y,
                    _ => x / y,
                };
                if r.is_finite() { Num(r) } else { Null }
            }
            _ => Null,
        },
        Op::And | Op::Or => Null,
    }
}

fn list_eq(a: ListRef<'_>, b: ListRef<'_>) -> bool {
    let strings = |l: ListRef<'_>| -> Vec<String> {
        match l {
            ListRef::Strings(v) => v.to_vec(),
            ListRef::Nodes(v) => {
                v.iter().filter_map(|n| if let Node::Text(s) = n { Some(s.clone()) } else { None }).collect()
            }
        }
    };
    strings(a) == strings(b)
}

fn call<'a>(f: Func, a: [Value<'a>; 2], today: NaiveDate) -> Value<'a> {
    use Value::*;
    match (f, a) {
        (Func::MonthsSince, [Date(d), _]) => Num(months_between(d, today) as f64),
        (Func::YearsSince, [Date(d), _]) => Num(months_between(d, today).div_euclid(12) as f64),
        (Func::DaysSince, [Date(d), _]) => Num((today - d).num_days() as f64),
        (Func::Date, [Text(s), _]) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_or(Null, Date),
        (Func::StartsWith, [Text(s), Text(p)]) => Bool(s.starts_with(p)),
        (Func::Contains, [Text(s), Text(p)]) => Bool(s.contains(p)),
        (Func::Size, [List(ListRef::Strings(v)), _]) => Num(v.len() as f64),
        (Func::Size, [List(ListRef::Nodes(v)), _]) => Num(v.len() as f64),
        (Func::Min, [Num(x), Num(y)]) => Num(x.min(y)),
        (Func::Max, [Num(x), Num(y)]) => Num(x.max(y)),
        (Func::Floor, [Num(x), _]) => Num(x.floor()),
        (Func::Round, [Num(x), _]) => Num(x.round()),
        _ => Null,
    }
}
